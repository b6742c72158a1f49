using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Session leases in <c>D-leases</c> (pk <c>sessionId</c>; <c>expiresAt</c> ms, <c>gateway</c>,
/// <c>closing</c>), with the semantics of InMemorySessionLeases.
/// </summary>
public sealed class DynamoSessionLeases : ISessionLeaseStore
{
    /// <summary>Renewals in flight at once by default: enough to hide the round trip, few enough not to burst-throttle.</summary>
    public const int DefaultRenewParallelism = 16;

    /// <summary>"Not closing": the attribute is absent (a lease made by a renewal) or false.</summary>
    private const string NotClosing = "(attribute_not_exists(#closing) OR #closing = :false)";

    private readonly IAmazonDynamoDB _db;
    private readonly string _table;
    private readonly string _countersTable;
    private readonly int _renewParallelism;

    public DynamoSessionLeases(AwsClients clients, int renewParallelism = DefaultRenewParallelism)
    {
        _db = clients.DynamoDb;
        _table = clients.Settings.LeasesTable;
        _countersTable = clients.Settings.CountersTable;
        _renewParallelism = Math.Max(1, renewParallelism);
    }

    private static Dictionary<string, AttributeValue> Key(long id) => new() { ["sessionId"] = N(id) };

    /// <summary>
    /// One conditional UpdateItem per lease, a bounded number at a time. BatchWriteItem
    /// would need 25× fewer calls, but its puts are unconditional: a renewal racing the heartbeat would
    /// overwrite <c>closing</c> and bring a closing session back. The condition keeps a closing lease
    /// closing; the cost is one write unit per lease either way (BatchWriteItem bills per item too).
    /// </summary>
    public async ValueTask RenewAsync(string gatewayId, IReadOnlyList<LeaseRenewal> renewals, CancellationToken cancellationToken = default)
    {
        await Parallel.ForEachAsync(renewals, new ParallelOptions { MaxDegreeOfParallelism = _renewParallelism, CancellationToken = cancellationToken }, async (renewal, ct) =>
        {
            try
            {
                await _db.UpdateItemAsync(Named(new UpdateItemRequest
                {
                    TableName = _table,
                    Key = Key(renewal.SessionId),
                    UpdateExpression = "SET #expiresAt = :e, #gateway = :g",
                    ConditionExpression = NotClosing,
                    ExpressionAttributeValues = new()
                    {
                        [":e"] = N(renewal.ExpiresAtMs),
                        [":g"] = S(gatewayId),
                        [":false"] = Bool(false),
                    },
                }), ct).ConfigureAwait(false);
            }
            catch (ConditionalCheckFailedException)
            {
                // Closing: never renewed again.
            }
        }).ConfigureAwait(false);
    }

    private static SessionLease Read(Dictionary<string, AttributeValue> item) => new(
        GetLong(item, "sessionId") ?? 0,
        GetLong(item, "expiresAt") ?? 0,
        GetString(item, "gateway") ?? "",
        GetBool(item, "closing"));

    public async ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(new GetItemRequest { TableName = _table, Key = Key(sessionId), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? Read(item) : null;
    }

    public async ValueTask<IReadOnlyList<SessionLease>> ListExpiredAsync(long nowMs, int max, CancellationToken cancellationToken = default)
    {
        // A Scan reads the whole table (one read unit per 4 KB, filtered afterwards); leases are small
        // (~60 bytes), so a scan of 10,000 sessions costs about 150 read units. The heartbeat runs it.
        var items = await ScanAllAsync(_db, Named(new ScanRequest
        {
            TableName = _table,
            ConsistentRead = true,
            FilterExpression = "#expiresAt <= :now AND " + NotClosing,
            ExpressionAttributeValues = new() { [":now"] = N(nowMs), [":false"] = Bool(false) },
        }), cancellationToken, max).ConfigureAwait(false);
        return [.. items.Select(Read).OrderBy(l => l.ExpiresAtMs).Take(max)];
    }

    /// <summary>
    /// One conditional update, so exactly one caller wins. Without a time condition a session with no
    /// lease yet gets a closing one (as InMemorySessionLeases); with one, the lease must exist and
    /// still be expired at that time (a comparison with a missing attribute is false).
    /// </summary>
    public async ValueTask<bool> TryMarkClosingAsync(long sessionId, long? onlyIfExpiredAtMs, string? onlyIfGateway = null, CancellationToken cancellationToken = default)
    {
        var values = new Dictionary<string, AttributeValue> { [":true"] = Bool(true), [":false"] = Bool(false) };
        string condition = NotClosing;
        if (onlyIfExpiredAtMs is { } at)
        {
            condition += " AND #expiresAt <= :at";
            values[":at"] = N(at);
        }
        if (onlyIfGateway is not null)
        {
            condition += " AND #gateway = :gw";
            values[":gw"] = S(onlyIfGateway);
        }
        try
        {
            await _db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = _table,
                Key = Key(sessionId),
                UpdateExpression = "SET #closing = :true",
                ConditionExpression = condition,
                ExpressionAttributeValues = values,
            }), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>Gateway liveness lives in the counters table (<c>gateway#&lt;id&gt;</c>): the leases table is keyed by session number.</summary>
    public async ValueTask RenewGatewayAsync(string gatewayId, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        await _db.PutItemAsync(new PutItemRequest
        {
            TableName = _countersTable,
            Item = new() { ["name"] = S("gateway#" + gatewayId), ["value"] = N(aliveUntilMs) },
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long?> GetGatewayAliveUntilAsync(string gatewayId, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(new GetItemRequest
        {
            TableName = _countersTable,
            Key = new() { ["name"] = S("gateway#" + gatewayId) },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return GetLong(response.Item, "value");
    }

    public async ValueTask RemoveAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        await _db.DeleteItemAsync(new DeleteItemRequest { TableName = _table, Key = Key(sessionId) }, cancellationToken).ConfigureAwait(false);
    }
}
