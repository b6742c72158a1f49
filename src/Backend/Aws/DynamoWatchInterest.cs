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
/// </summary>
public sealed class DynamoWatchInterest(IAmazonDynamoDB dynamo, string table, string gatewayId) : IWatchInterest
{
    public const string RecursivePartition = "#recursive";

    private readonly HashSet<(string Path, string Kind)> _written = [];
    private readonly Lock _lock = new();

    public async ValueTask AddAsync(string path, WatchKind kind, CancellationToken cancellationToken = default)
    {
        switch (kind)
        {
            case WatchKind.Data or WatchKind.Exist:
                await PutAsync(path, "data", cancellationToken).ConfigureAwait(false);
                break;
            case WatchKind.Child:
                await PutAsync(path, "child", cancellationToken).ConfigureAwait(false);
                break;
            case WatchKind.Persistent:
                await PutAsync(path, "data", cancellationToken).ConfigureAwait(false);
                await PutAsync(path, "child", cancellationToken).ConfigureAwait(false);
                break;
            case WatchKind.PersistentRecursive:
                await PutAsync(path, "recursive", cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask PutAsync(string path, string kind, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_written.Contains((path, kind)))
            {
                return;
            }
        }
        var (pk, sk) = ItemKey(path, kind);
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new() { ["path"] = new AttributeValue { S = pk }, ["watcher"] = new AttributeValue { S = sk } },
        }, ct).ConfigureAwait(false);
        lock (_lock)
        {
            _written.Add((path, kind));
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
