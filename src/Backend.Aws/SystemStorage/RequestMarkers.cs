using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Exactly-once outcomes for requests whose writer batch SQS delivers again: a marker item per request
/// in <c>D-counters</c> (<c>req#&lt;gateway&gt;#&lt;request&gt;</c>, <c>value</c> the zxid, <c>failed</c> a
/// failure's outcome), put by the request's commit (<see cref="CommitPut"/>) or by
/// <see cref="RecordFailureAsync"/>, whichever comes first, and expired by DynamoDB's TTL.
/// </summary>
internal sealed class RequestMarkers(IAmazonDynamoDB db, string countersTable, DynamoPendingLog pending, TimeProvider time)
{
    /// <summary>How long a committed request's marker is kept (a day; SQS redelivers within minutes).</summary>
    private const long LifetimeSeconds = 24 * 3600;

    private static string Name(ReplyAddress request) => $"req#{request.GatewayId}#{request.RequestId}";

    /// <summary>DynamoDB's TTL (seconds): kept well past SQS's redelivery and deduplication windows.</summary>
    private AttributeValue ExpiresAt() => N(time.GetUtcNow().ToUnixTimeSeconds() + LifetimeSeconds);

    public async ValueTask<CommittedRequest?> FindCommittedAsync(ReplyAddress request, CancellationToken cancellationToken)
    {
        var marker = await ReadAsync(request, cancellationToken).ConfigureAwait(false);
        if (GetLong(marker.Item, "value") is not { } zxid)
        {
            return null;
        }
        if (GetBytes(marker.Item, "failed") is { } failure)
        {
            // A request that failed validation: its outcome, to be answered again.
            return new CommittedRequest(zxid, StorageCodec.DecodeTxn(failure));
        }
        return new CommittedRequest(zxid, await pending.GetAsync(zxid, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The zxid the request's marker holds (the one it was committed, or its failure recorded, with),
    /// null if none: a writer whose commit met the marker tells by it whether a later delivery of its
    /// batch got there first (its zxids are all above ours).
    /// </summary>
    public async ValueTask<long?> ZxidAsync(ReplyAddress request, CancellationToken cancellationToken) =>
        GetLong((await ReadAsync(request, cancellationToken).ConfigureAwait(false)).Item, "value");

    private Task<GetItemResponse> ReadAsync(ReplyAddress request, CancellationToken cancellationToken) =>
        db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = countersTable,
            Key = new() { ["name"] = S(Name(request)) },
            ConsistentRead = true,
        }), cancellationToken);

    public async ValueTask<CommittedRequest?> RecordFailureAsync(Txn failed, CancellationToken cancellationToken)
    {
        if (failed.ReplyTo is not { } request)
        {
            return null;
        }
        try
        {
            await db.PutItemAsync(new PutItemRequest
            {
                TableName = countersTable,
                Item = new()
                {
                    ["name"] = S(Name(request)),
                    ["value"] = N(failed.Zxid),
                    ["failed"] = B(StorageCodec.EncodeTxn(failed)),
                    ["expiresAt"] = ExpiresAt(),
                },
                // The request's first outcome stays: a commit (or failure) recorded before wins.
                ConditionExpression = "attribute_not_exists(#name)",
                ExpressionAttributeNames = new() { ["#name"] = "name" },
            }, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (ConditionalCheckFailedException)
        {
            // (Null if the marker has just expired: then this outcome is answered.)
            return await FindCommittedAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The commit's item that puts the request's marker: a request committed once fails here when it
    /// comes again (its writer batch redelivered after a crash), and FindCommittedAsync finds what it became.
    /// </summary>
    public TransactWriteItem CommitPut(ReplyAddress request, long zxid) => new()
    {
        Put = Named(new Put
        {
            TableName = countersTable,
            Item = new()
            {
                ["name"] = S(Name(request)),
                ["value"] = N(zxid),
                ["expiresAt"] = ExpiresAt(),
            },
            ConditionExpression = "attribute_not_exists(#name)",
        }),
    };
}
