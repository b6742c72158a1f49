using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>A user storage of the AWS provider set: it can learn the distributor's applied zxid from the counters table.</summary>
public interface IAwsUserStorage : IUserStorage
{
    /// <summary>Reads the applied zxid from the counters table (distributor start-up, and gateways now and then).</summary>
    ValueTask<long> RefreshAppliedZxidAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// An import's write of <paramref name="nodes"/> (client-visible Stat, every child named), each whole
    /// and unconditionally, as the distributor's applies would have left them at <paramref name="stampZxid"/>
    /// (the zxid counter the import ends with): rewriting the same nodes again is harmless (a resumed
    /// import), and every later write's zxid is above the stamp (AwsTreeImport).
    /// </summary>
    ValueTask ImportNodesAsync(IReadOnlyList<UserNode> nodes, long stampZxid, CancellationToken cancellationToken = default);
}

/// <summary>
/// The zxid of the last transaction the distributor applied to user storage, kept in the counters
/// table (item <c>applied</c>) so that a redelivered distributor batch, or one replayed by a new
/// distributor instance, is recognised and not applied twice. Shared by both user storages: where
/// the node data lives does not change how the marker is kept.
/// <para>
/// The same item keeps the <b>interest generation</b> (<c>gen</c>), bumped by every gateway that
/// registers its first interest in a path, which also records the generation of its latest such
/// registration (<c>reg-&lt;gateway&gt;</c>, see <see cref="RegisterInterestAsync"/>). A distributor batch
/// reads <c>gen</c> before its first interest lookup; the raise of the marker after its writes returns
/// the item as it was, so the batch learns which gateways registered after that read and before its
/// writes were complete (late: its stamps may not name them) and sends them a Mark. One item for
/// both, so that a registration and a raise are ordered: a registration either comes before the raise
/// (and the raise sees it) or after it (and its applied zxid shows the batch's writes).
/// </para>
/// </summary>
internal sealed class AppliedMarker(IAmazonDynamoDB dynamo, string countersTable)
{
    internal const string CounterName = "applied";
    internal const string GenerationAttr = "gen";
    private const string RegistrationPrefix = "reg-";

    /// <summary>Registrations at or below every later batch's generation are cleared once this many have piled up.</summary>
    private const int StaleRegistrationsToClear = 8;

    private long _zxid;

    /// <summary>
    /// The highest applied zxid this process knows of: the distributor's own, or, in a gateway, the
    /// highest it has seen in reads and in its inbox (reads are answered with it).
    /// </summary>
    public long Zxid => Volatile.Read(ref _zxid);

    public void Observe(long zxid)
    {
        long current;
        while (zxid > (current = Volatile.Read(ref _zxid)) && Interlocked.CompareExchange(ref _zxid, zxid, current) != current)
        {
        }
    }

    public async ValueTask<long> RefreshAsync(CancellationToken cancellationToken)
    {
        await ReadStoredAsync(cancellationToken).ConfigureAwait(false);
        return Zxid;
    }

    /// <summary>The marker as stored (0 before the first batch), also observed.</summary>
    public async ValueTask<long> ReadStoredAsync(CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = countersTable,
            Key = new() { ["name"] = new AttributeValue { S = CounterName } },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        long stored = 0;
        if (response.Item is { } item && item.TryGetValue("value", out var value) && value.N is { } n)
        {
            stored = long.Parse(n, CultureInfo.InvariantCulture);
            Observe(stored);
        }
        return stored;
    }

    /// <summary>
    /// Raises the stored marker, never lowers it (a late, redelivered batch must not move it back).
    /// Returns the gateways whose latest first-time interest registration came after the batch read
    /// <paramref name="plannedGeneration"/> (the item's old attributes, whether the raise applied or
    /// found the marker already there); none for a batch applied without a plan (null).
    /// </summary>
    public async ValueTask<IReadOnlyCollection<string>> RaiseAsync(long zxid, long? plannedGeneration, CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? old;
        try
        {
            var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = countersTable,
                Key = new() { ["name"] = new AttributeValue { S = CounterName } },
                UpdateExpression = "SET #v = :z",
                ConditionExpression = "attribute_not_exists(#v) OR #v < :z",
                ExpressionAttributeNames = new() { ["#v"] = "value" },
                ExpressionAttributeValues = new() { [":z"] = new AttributeValue { N = zxid.ToString(CultureInfo.InvariantCulture) } },
                ReturnValues = ReturnValue.ALL_OLD,
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            }, cancellationToken).ConfigureAwait(false);
            old = response.Attributes;
        }
        catch (ConditionalCheckFailedException e)
        {
            // Already at or past it.
            old = e.Item;
        }
        Observe(zxid);
        if (old is null || plannedGeneration is not { } planned)
        {
            return [];
        }
        List<string>? late = null;
        List<(string Attribute, long Generation)>? stale = null;
        foreach (var (name, value) in old)
        {
            if (name.StartsWith(RegistrationPrefix, StringComparison.Ordinal) && value.N is { } n)
            {
                long generation = long.Parse(n, CultureInfo.InvariantCulture);
                if (generation > planned)
                {
                    (late ??= []).Add(name[RegistrationPrefix.Length..]);
                }
                else
                {
                    (stale ??= []).Add((name, generation));
                }
            }
        }
        if (stale is { Count: >= StaleRegistrationsToClear })
        {
            await ClearStaleAsync(stale, cancellationToken).ConfigureAwait(false);
        }
        return (IReadOnlyCollection<string>?)late ?? [];
    }

    /// <summary>
    /// Removes registrations at or below a batch's planned generation: every later batch reads a
    /// generation at least as high, so they can never make a gateway late again. Conditional on each
    /// being unchanged (a gateway that registered again meanwhile keeps its new one); best effort.
    /// </summary>
    private async ValueTask ClearStaleAsync(List<(string Attribute, long Generation)> stale, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string>();
        var values = new Dictionary<string, AttributeValue>();
        var conditions = new List<string>();
        for (int i = 0; i < stale.Count; i++)
        {
            names[$"#r{i}"] = stale[i].Attribute;
            values[$":r{i}"] = new AttributeValue { N = stale[i].Generation.ToString(CultureInfo.InvariantCulture) };
            conditions.Add($"#r{i} = :r{i}");
        }
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = countersTable,
                Key = new() { ["name"] = new AttributeValue { S = CounterName } },
                UpdateExpression = "REMOVE " + string.Join(", ", names.Keys),
                ConditionExpression = string.Join(" AND ", conditions),
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = values,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // One registered again: cleared at a later raise.
        }
    }

    /// <summary>
    /// A gateway registered its first interest in a path (its watches-table item is written): bumps
    /// the interest generation and records it as this gateway's latest registration, in one UpdateItem
    /// on the applied item. Returns that generation and the applied zxid at that moment.
    /// </summary>
    public static async ValueTask<(long Generation, long AppliedZxid)> RegisterInterestAsync(IAmazonDynamoDB dynamo, string countersTable, string gatewayId, CancellationToken cancellationToken)
    {
        var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = countersTable,
            Key = new() { ["name"] = new AttributeValue { S = CounterName } },
            // Both operands are read before the update: the registration gets the new generation.
            UpdateExpression = "SET #g = if_not_exists(#g, :zero) + :one, #r = if_not_exists(#g, :zero) + :one",
            ExpressionAttributeNames = new() { ["#g"] = GenerationAttr, ["#r"] = RegistrationPrefix + gatewayId },
            ExpressionAttributeValues = new() { [":zero"] = new AttributeValue { N = "0" }, [":one"] = new AttributeValue { N = "1" } },
            ReturnValues = ReturnValue.ALL_NEW,
        }, cancellationToken).ConfigureAwait(false);
        return (Number(response.Attributes, GenerationAttr), Number(response.Attributes, "value"));
    }

    internal static long Number(Dictionary<string, AttributeValue>? item, string attribute) =>
        item is not null && item.TryGetValue(attribute, out var value) && value.N is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : 0;
}
