using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// mntr's counts of the tree as the distributor has applied it, in one item of <c>D-counters</c>
/// (<see cref="Counter"/>: <c>nodes</c>, <c>bytes</c>, <c>ephemerals</c>, <c>upTo</c>), fed by the
/// deltas of popped pending entries (<see cref="TreeStatisticsDelta"/>).
/// </summary>
internal sealed class DynamoTreeStatistics(IAmazonDynamoDB db, string countersTable)
{
    public const string Counter = "stats";

    /// <summary>The highest zxid whose deltas this process knows to be in the stats item (-1: unknown).</summary>
    private long _upTo = -1;

    /// <summary>
    /// Adds the popped entries' deltas to the stats item in one UpdateItem, conditional on its
    /// <c>upTo</c> being below every entry counted: entries are popped in zxid order, so everything at
    /// or below <c>upTo</c> has been counted, and a pop repeated after a crash counts nothing twice.
    /// </summary>
    public async Task AddAsync(List<Dictionary<string, AttributeValue>> entries, CancellationToken ct)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            long upTo = Volatile.Read(ref _upTo);
            var fresh = entries.Where(i => GetLong(i, "zxid") > upTo).ToList();
            if (fresh.Count == 0)
            {
                return;
            }
            long nodes = fresh.Sum(i => GetLong(i, "dNodes") ?? 0);
            long bytes = fresh.Sum(i => GetLong(i, "dBytes") ?? 0);
            long ephemerals = fresh.Sum(i => GetLong(i, "dEphemerals") ?? 0);
            long first = fresh.Min(i => GetLong(i, "zxid") ?? 0);
            long last = fresh.Max(i => GetLong(i, "zxid") ?? 0);
            if (nodes == 0 && bytes == 0 && ephemerals == 0)
            {
                // Nothing to add (setData of the same size, a failed write): no call.
                return;
            }
            try
            {
                await db.UpdateItemAsync(Named(new UpdateItemRequest
                {
                    TableName = countersTable,
                    Key = new() { ["name"] = S(Counter) },
                    UpdateExpression = "ADD #nodes :n, #bytes :b, #ephemerals :e SET #upTo = :last",
                    ConditionExpression = "attribute_not_exists(#upTo) OR #upTo < :first",
                    ExpressionAttributeValues = new() { [":n"] = N(nodes), [":b"] = N(bytes), [":e"] = N(ephemerals), [":last"] = N(last), [":first"] = N(first) },
                }), ct).ConfigureAwait(false);
                Volatile.Write(ref _upTo, last);
                return;
            }
            catch (ConditionalCheckFailedException)
            {
                // Counted (partly) before, by this or another distributor instance: learn how far.
                var stored = await db.GetItemAsync(Named(new GetItemRequest
                {
                    TableName = countersTable,
                    Key = new() { ["name"] = S(Counter) },
                    ConsistentRead = true,
                    ProjectionExpression = "#upTo",
                }), ct).ConfigureAwait(false);
                Volatile.Write(ref _upTo, GetLong(stored.Item, "upTo") ?? -1);
            }
        }
    }

    /// <summary>The counts: nodes, approximate data size (path + data lengths, as ZooKeeper's DataTree) and ephemerals. One eventually consistent GetItem.</summary>
    public async ValueTask<TreeStatistics?> ReadAsync(CancellationToken cancellationToken)
    {
        var response = await db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = countersTable,
            Key = new() { ["name"] = S(Counter) },
            ProjectionExpression = "#nodes, #bytes, #ephemerals",
        }), cancellationToken).ConfigureAwait(false);
        return new TreeStatistics(GetLong(response.Item, "nodes") ?? 0, GetLong(response.Item, "bytes") ?? 0, GetLong(response.Item, "ephemerals") ?? 0);
    }
}
