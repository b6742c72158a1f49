using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Session leases in <c>D-leases</c> (pk <c>sessionId</c>; <c>gateway</c> = the owner, <c>timeoutMs</c>,
/// <c>closing</c>) and gateway liveness in one item of <c>D-counters</c>, <c>gateways</c>, with one number
/// attribute per owner (its deadline, ms), so that the heartbeat reads every gateway's liveness with one
/// GetItem. The semantics of InMemorySessionLeases.
/// </summary>
public sealed class DynamoSessionLeases(AwsClients clients) : ISessionLeaseStore
{
    /// <summary>The counters item that holds every owner's liveness.</summary>
    public const string GatewaysItem = "gateways";

    /// <summary>"Not closing": the attribute is absent (a lease made by a claim) or false.</summary>
    private const string NotClosing = "(attribute_not_exists(#closing) OR #closing = :false)";

    private readonly IAmazonDynamoDB _db = clients.DynamoDb;
    private readonly string _table = clients.Settings.LeasesTable;
    private readonly string _countersTable = clients.Settings.CountersTable;

    private static Dictionary<string, AttributeValue> Key(long id) => new() { ["sessionId"] = N(id) };

    private static Dictionary<string, AttributeValue> GatewaysKey => new() { ["name"] = S(GatewaysItem) };

    /// <summary>
    /// One conditional UpdateItem. It also drops the <c>expiresAt</c> an earlier version renewed: a
    /// heartbeat of that version lists leases by it and would otherwise expire this live session.
    /// </summary>
    public async ValueTask<bool> ClaimAsync(string owner, long sessionId, int timeoutMs, CancellationToken cancellationToken = default)
    {
        try
        {
            await _db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = _table,
                Key = Key(sessionId),
                UpdateExpression = "SET #gateway = :g, #timeoutMs = :t REMOVE #expiresAt",
                ConditionExpression = NotClosing,
                ExpressionAttributeValues = new() { [":g"] = S(owner), [":t"] = N(timeoutMs), [":false"] = Bool(false) },
            }), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private static SessionLease Read(Dictionary<string, AttributeValue> item) => new(
        GetLong(item, "sessionId") ?? 0,
        (int)(GetLong(item, "timeoutMs") ?? 0),
        GetString(item, "gateway") ?? "",
        GetBool(item, "closing"));

    public async ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(new GetItemRequest { TableName = _table, Key = Key(sessionId), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? Read(item) : null;
    }

    /// <summary>
    /// One conditional update; with a liveness condition a transaction (a ConditionCheck of the
    /// gateways item and the update: 4 write units, paid only when the heartbeat expires a session), so
    /// that an owner that renewed after the heartbeat read its liveness keeps its sessions. A comparison
    /// with a missing attribute is false, so an owner condition needs the lease to exist.
    /// </summary>
    public async ValueTask<bool> TryMarkClosingAsync(long sessionId, string? onlyIfOwner = null, long? onlyIfOwnerAliveUntilMs = null, CancellationToken cancellationToken = default)
    {
        var values = new Dictionary<string, AttributeValue> { [":true"] = Bool(true), [":false"] = Bool(false) };
        string condition = NotClosing;
        if (onlyIfOwner is not null)
        {
            condition += " AND #gateway = :g";
            values[":g"] = S(onlyIfOwner);
        }
        try
        {
            if (onlyIfOwner is not null && onlyIfOwnerAliveUntilMs is { } until)
            {
                await _db.TransactWriteItemsAsync(new TransactWriteItemsRequest
                {
                    TransactItems =
                    [
                        new TransactWriteItem
                        {
                            ConditionCheck = new ConditionCheck
                            {
                                TableName = _countersTable,
                                Key = GatewaysKey,
                                ConditionExpression = "#o = :u",
                                ExpressionAttributeNames = new() { ["#o"] = onlyIfOwner },
                                ExpressionAttributeValues = new() { [":u"] = N(until) },
                            },
                        },
                        TransactUpdate(_table, Key(sessionId), "SET #closing = :true", condition, values),
                    ],
                }, cancellationToken).ConfigureAwait(false);
                return true;
            }
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
        catch (TransactionCanceledException e) when (e.CancellationReasons?.Any(r => r.Code == "ConditionalCheckFailed") == true)
        {
            return false;
        }
    }

    public async ValueTask RemoveAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        await _db.DeleteItemAsync(new DeleteItemRequest { TableName = _table, Key = Key(sessionId) }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One UpdateItem of the gateways item: a write unit per KB of the item, so one for up to ~20 gateways.</summary>
    public async ValueTask RenewGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        await _db.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _countersTable,
            Key = GatewaysKey,
            UpdateExpression = "SET #o = :u",
            ExpressionAttributeNames = new() { ["#o"] = owner },
            ExpressionAttributeValues = new() { [":u"] = N(aliveUntilMs) },
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One eventually consistent GetItem (half a read unit up to 4 KB, ~80 gateways): whatever it
    /// misses of a very recent renewal, the heartbeat's expiry is conditional on the value it saw.
    /// </summary>
    public async ValueTask<IReadOnlyDictionary<string, long>> ListGatewaysAsync(CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(new GetItemRequest { TableName = _countersTable, Key = GatewaysKey }, cancellationToken).ConfigureAwait(false);
        var gateways = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, value) in response.Item ?? [])
        {
            if (name != "name" && GetLong(response.Item, name) is { } until)
            {
                gateways[name] = until;
            }
        }
        return gateways;
    }

    public async ValueTask<bool> ForgetGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        try
        {
            await _db.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = _countersTable,
                Key = GatewaysKey,
                UpdateExpression = "REMOVE #o",
                ConditionExpression = "#o = :u",
                ExpressionAttributeNames = new() { ["#o"] = owner },
                ExpressionAttributeValues = new() { [":u"] = N(aliveUntilMs) },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>
    /// A consistent Scan of the leases table (a read unit per 4 KB of leases, ~60 bytes each, whatever the
    /// filter), paid only in a pass that found a lapsed owner: about one or two passes per gateway that
    /// died or went idle. A sparse index by owner would make it proportional to that owner's sessions.
    /// </summary>
    public async ValueTask<IReadOnlyList<SessionLease>> ListOwnedAsync(IReadOnlyCollection<string> owners, CancellationToken cancellationToken = default)
    {
        var wanted = owners.ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return [];
        }
        var request = new ScanRequest { TableName = _table, ConsistentRead = true };
        // DynamoDB's IN takes at most 100 operands; beyond that the filter is applied here (same cost).
        if (wanted.Count <= 100)
        {
            var placeholders = wanted.Select((_, i) => $":o{i}").ToList();
            request.FilterExpression = $"#gateway IN ({string.Join(", ", placeholders)})";
            request.ExpressionAttributeValues = wanted.Select((owner, i) => (Key: placeholders[i], Value: S(owner))).ToDictionary(p => p.Key, p => p.Value);
            request = Named(request);
        }
        var items = await ScanAllAsync(_db, request, cancellationToken).ConfigureAwait(false);
        return [.. items.Select(Read).Where(l => wanted.Contains(l.Owner)).OrderBy(l => l.SessionId)];
    }
}
