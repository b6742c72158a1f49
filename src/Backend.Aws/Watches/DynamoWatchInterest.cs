using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Which gateways care about which paths, in the watches table; the watches themselves (one-shot,
/// persistent, recursive, per connection) live in each gateway's own registry, which applies
/// ZooKeeper's fetch-and-clear rules when a trigger arrives.
/// <para>
/// Items: (<c>path</c>, <c>&lt;gateway&gt;#data</c>) and (<c>path</c>, <c>&lt;gateway&gt;#child</c>) for the
/// data and child tables; recursive watches go under one partition, (<c>#recursive</c>,
/// <c>&lt;path&gt;#&lt;gateway&gt;</c>), so the distributor finds every recursive watch with one query and
/// matches ancestors in memory. An item is written once per path and gateway (cached here) and stays
/// until the gateway shuts down: a stale item costs a trigger the gateway ignores, a missing one would
/// lose an event. Keeping one item per gateway instead of per watch keeps the table small and the
/// distributor's reads few.
/// </para>
/// <para>
/// A new item is followed by a registration on the applied marker's item (one UpdateItem, see
/// AppliedMarker.RegisterInterestAsync): a distributor batch that planned just before it may not name
/// this gateway in its stamps, and this gateway's reads then wait for that batch's Mark
/// (<see cref="Registrations"/>).
/// </para>
/// <para>
/// On the gateway write path (<paramref name="reserveAfter"/> given) a new item is followed instead by a
/// reservation of this gateway's writer at the write head: every batch reserved before it is applied
/// by then (the head's rule), so the watching read sees its writes, and every batch reserved after it
/// plans after the item is visible. No batch can be late for the registration, and none is reported.
/// </para>
/// </summary>
public sealed class DynamoWatchInterest(IAmazonDynamoDB dynamo, string table, string countersTable, string gatewayId, Func<CancellationToken, Task>? reserveAfter = null) : IWatchInterest
{
    public const string RecursivePartition = "#recursive";

    private static readonly string[] DataKinds = ["data"];
    private static readonly string[] ChildKinds = ["child"];
    private static readonly string[] PersistentKinds = ["data", "child"];
    private static readonly string[] RecursiveKinds = ["recursive"];

    private readonly HashSet<(string Path, string Kind)> _written = [];
    private readonly Lock _lock = new();

    public InterestRegistrations Registrations { get; } = new();

    public async ValueTask AddAsync(string path, WatchKind kind, CancellationToken cancellationToken = default)
    {
        string[] kinds = kind switch
        {
            WatchKind.Data or WatchKind.Exist => DataKinds,
            WatchKind.Child => ChildKinds,
            WatchKind.Persistent => PersistentKinds,
            _ => RecursiveKinds,
        };
        List<string>? added = null;
        foreach (string k in kinds)
        {
            lock (_lock)
            {
                if (_written.Contains((path, k)))
                {
                    continue;
                }
            }
            var (pk, sk) = ItemKey(path, k);
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = table,
                Item = new() { ["path"] = new AttributeValue { S = pk }, ["watcher"] = new AttributeValue { S = sk } },
            }, cancellationToken).ConfigureAwait(false);
            (added ??= []).Add(k);
        }
        if (added is null)
        {
            return;
        }
        if (reserveAfter is not null)
        {
            await reserveAfter(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // After the item is visible: a distributor batch that read the generation before this bump
            // may have looked up interest without this item; its raise of the applied marker will show
            // the registration (and it sends this gateway a Mark) unless its writes were complete before
            // this, which the applied zxid returned tells.
            var (generation, applied) = await AppliedMarker.RegisterInterestAsync(dynamo, countersTable, gatewayId, cancellationToken).ConfigureAwait(false);
            Registrations.Add(generation, applied);
        }
        lock (_lock)
        {
            // Only now may another watching read of the path skip the registration: its read must
            // not come before the registration is recorded.
            foreach (string k in added)
            {
                _written.Add((path, k));
            }
        }
    }

    private (string Pk, string Sk) ItemKey(string path, string kind) =>
        kind == "recursive" ? (RecursivePartition, $"{path}#{gatewayId}") : (path, $"{gatewayId}#{kind}");

    /// <summary>A clean shutdown: this gateway's items go (a killed gateway's stay, and cost ignored triggers).</summary>
    public async Task RemoveAllAsync(CancellationToken cancellationToken = default)
    {
        (string Path, string Kind)[] written;
        lock (_lock)
        {
            written = [.. _written];
            _written.Clear();
        }
        foreach (var chunk in written.Chunk(25))
        {
            var requests = chunk.Select(w => ItemKey(w.Path, w.Kind)).Select(k => new Amazon.DynamoDBv2.Model.WriteRequest
            {
                DeleteRequest = new DeleteRequest { Key = new() { ["path"] = new AttributeValue { S = k.Pk }, ["watcher"] = new AttributeValue { S = k.Sk } } },
            }).ToList();
            var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [table] = requests } }, cancellationToken).ConfigureAwait(false);
            _ = response;
        }
    }
}
