using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Session records in <c>D-sessions</c> (pk <c>sessionId</c>): <c>password</c>, <c>timeoutMs</c>,
/// <c>ephemerals</c> (string set of paths) with <c>ephSeq</c>, a version of that set, and, while a
/// close is split over several commits, <c>closing</c> and <c>closeParts</c> (the parts' zxids).
/// Commits change these items through <see cref="SessionCommitItems"/>; this class reads them.
/// </summary>
internal sealed class DynamoSessionTable(IAmazonDynamoDB db, string table)
{
    public string Table => table;

    public static Dictionary<string, AttributeValue> Key(long id) => new() { ["sessionId"] = N(id) };

    public async ValueTask<SessionRecord?> GetAsync(long sessionId, CancellationToken cancellationToken)
    {
        var response = await ReadItemAsync(sessionId, "#sessionId, #password, #timeoutMs", cancellationToken).ConfigureAwait(false);
        return ReadSession(response.Item);
    }

    /// <summary>One consistent read of a session item's <paramref name="projection"/>.</summary>
    public Task<GetItemResponse> ReadItemAsync(long sessionId, string projection, CancellationToken cancellationToken) =>
        db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = table,
            Key = Key(sessionId),
            ConsistentRead = true,
            ProjectionExpression = projection,
        }), cancellationToken);

    /// <summary>A session record, or null for a missing item or a key-only leftover (no password).</summary>
    private static SessionRecord? ReadSession(Dictionary<string, AttributeValue>? item) =>
        GetBytes(item, "password") is { } password && GetLong(item, "sessionId") is { } id
            ? new SessionRecord(id, password, (int)(GetLong(item, "timeoutMs") ?? 0))
            : null;

    public async ValueTask<IReadOnlyList<SessionRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var items = await ScanAllAsync(db, Named(new ScanRequest
        {
            TableName = table,
            ConsistentRead = true,
            ProjectionExpression = "#sessionId, #password, #timeoutMs",
        }), cancellationToken).ConfigureAwait(false);
        return [.. items.Select(ReadSession).OfType<SessionRecord>()];
    }

    public async ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken)
    {
        var response = await ReadItemAsync(sessionId, "#ephemerals", cancellationToken).ConfigureAwait(false);
        var paths = GetStringSet(response.Item, "ephemerals");
        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    public async ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken)
    {
        var items = await ScanAllAsync(db, Named(new ScanRequest
        {
            TableName = table,
            ConsistentRead = true,
            ProjectionExpression = "#ephemerals",
        }), cancellationToken).ConfigureAwait(false);
        return items.Sum(item => GetStringSet(item, "ephemerals").Count);
    }

    /// <summary>The zxids of the committed parts of a split close of the session, in order (empty: none).</summary>
    public async ValueTask<IReadOnlyList<long>> GetClosePartsAsync(long sessionId, CancellationToken cancellationToken)
    {
        var response = await ReadItemAsync(sessionId, "#closeParts", cancellationToken).ConfigureAwait(false);
        if (response.Item?.GetValueOrDefault("closeParts")?.NS is not { Count: > 0 } parts)
        {
            return [];
        }
        return [.. parts.Select(z => long.Parse(z, System.Globalization.CultureInfo.InvariantCulture)).Order()];
    }

    public async ValueTask UpdateTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken)
    {
        try
        {
            await db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = table,
                Key = Key(sessionId),
                UpdateExpression = "SET #timeoutMs = :t",
                // A missing session stays missing (the embedded store ignores it too).
                ConditionExpression = "attribute_exists(#password)",
                ExpressionAttributeValues = new() { [":t"] = N(timeoutMs) },
            }), cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
        }
    }
}
