using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Paths;
using ZkGateway.Jute.Protocol;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The gateways interested in a set of paths, read from the watches table that
/// <see cref="DynamoWatchInterest"/> writes, and the routing of triggers by it: a trigger goes to the
/// gateways with interest of the right kind in its path and those with a recursive watch above it.
/// </summary>
internal sealed class WatchInterestRoutes
{
    private readonly Dictionary<string, List<(string Gateway, string Kind)>> _interest;
    private readonly List<(string Path, string Gateway)> _recursive;

    private WatchInterestRoutes(Dictionary<string, List<(string Gateway, string Kind)>> interest, List<(string Path, string Gateway)> recursive)
    {
        _interest = interest;
        _recursive = recursive;
    }

    /// <summary>No interest anywhere (nothing to look up).</summary>
    public static WatchInterestRoutes None => new(new Dictionary<string, List<(string Gateway, string Kind)>>(StringComparer.Ordinal), []);

    /// <summary>The interest in each of <paramref name="paths"/> and every recursive watch: one Query each, run together.</summary>
    public static Task<WatchInterestRoutes> LoadAsync(IAmazonDynamoDB dynamo, string watchesTable, IEnumerable<string> paths, CancellationToken ct) =>
        LoadAsync(dynamo, watchesTable, paths, known: null, ct);

    /// <summary>
    /// As <see cref="LoadAsync(IAmazonDynamoDB, string, IEnumerable{string}, CancellationToken)"/>, taking
    /// what <paramref name="known"/> already holds (paths looked up before, and the recursive watches if
    /// it has them) instead of asking again, and adding what it asked to it (see InboxOutbox's cache).
    /// </summary>
    public static async Task<WatchInterestRoutes> LoadAsync(IAmazonDynamoDB dynamo, string watchesTable, IEnumerable<string> paths, InterestCache? known, CancellationToken ct)
    {
        var recursive = known?.Recursive is { } cachedRecursive ? Task.FromResult(cachedRecursive) : RecursiveInterestAsync(dynamo, watchesTable, ct);
        var interest = new Dictionary<string, List<(string Gateway, string Kind)>>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (string path in paths.Distinct(StringComparer.Ordinal))
        {
            if (known?.Paths.TryGetValue(path, out var cached) == true)
            {
                interest[path] = cached;
            }
            else
            {
                missing.Add(path);
            }
        }
        // At most 16 in flight: a large batch must not turn into a burst that DynamoDB throttles.
        foreach (var chunk in missing.Chunk(16))
        {
            var results = await Task.WhenAll(chunk.Select(p => InterestInAsync(dynamo, watchesTable, p, ct))).ConfigureAwait(false);
            for (int i = 0; i < chunk.Length; i++)
            {
                interest[chunk[i]] = results[i];
                known?.Paths.TryAdd(chunk[i], results[i]);
            }
        }
        var recursiveWatches = await recursive.ConfigureAwait(false);
        if (known is not null)
        {
            known.Recursive = recursiveWatches;
        }
        return new WatchInterestRoutes(interest, recursiveWatches);
    }

    /// <summary>The gateways a trigger goes to, each once.</summary>
    public IEnumerable<string> Route(InboxItem item)
    {
        var type = item.Trigger.Type;
        var told = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (g, kind) in _interest.GetValueOrDefault(item.Trigger.Path) ?? [])
        {
            bool wants = kind == "data" ? type != EventType.NodeChildrenChanged : type is EventType.NodeChildrenChanged or EventType.NodeDeleted;
            if (wants && told.Add(g))
            {
                yield return g;
            }
        }
        if (type != EventType.NodeChildrenChanged)
        {
            foreach (var (path, g) in _recursive)
            {
                if (ZkPath.IsAncestorOrSelf(path, item.Trigger.Path) && told.Add(g))
                {
                    yield return g;
                }
            }
        }
    }

    /// <summary>The (gateway, kind) pairs of a path: sort keys "&lt;gateway&gt;#&lt;kind&gt;", split at the last '#'.</summary>
    private static async Task<List<(string Gateway, string Kind)>> InterestInAsync(IAmazonDynamoDB dynamo, string watchesTable, string path, CancellationToken ct)
    {
        var items = await QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = watchesTable,
            KeyConditionExpression = "#p = :p",
            ExpressionAttributeNames = new() { ["#p"] = "path" },
            ExpressionAttributeValues = new() { [":p"] = new AttributeValue { S = path } },
            ConsistentRead = true,
        }, ct).ConfigureAwait(false);
        var result = new List<(string, string)>(items.Count);
        foreach (var item in items)
        {
            string sk = item["watcher"].S;
            int hash = sk.LastIndexOf('#');
            result.Add((sk[..hash], sk[(hash + 1)..]));
        }
        return result;
    }

    /// <summary>Every recursive watch's path and gateway: sort keys "&lt;path&gt;#&lt;gateway&gt;", split at the last '#'.</summary>
    private static Task<List<(string Path, string Gateway)>> RecursiveInterestAsync(IAmazonDynamoDB dynamo, string watchesTable, CancellationToken ct) =>
        InterestInAsync(dynamo, watchesTable, DynamoWatchInterest.RecursivePartition, ct);
}

/// <summary>
/// Interest looked up at one interest generation (see AppliedMarker): valid while the generation
/// stays, because every gateway that writes a new interest item bumps it afterwards.
/// </summary>
internal sealed class InterestCache
{
    public long Generation { get; set; } = -1;

    public Dictionary<string, List<(string Gateway, string Kind)>> Paths { get; } = new(StringComparer.Ordinal);

    public List<(string Path, string Gateway)>? Recursive { get; set; }

    /// <summary>Drops everything unless it was looked up at <paramref name="generation"/>.</summary>
    public void Keep(long generation)
    {
        if (generation != Generation)
        {
            Clear();
            Generation = generation;
        }
    }

    public void Clear()
    {
        Generation = -1;
        Paths.Clear();
        Recursive = null;
    }
}
