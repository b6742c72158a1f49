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
    public static async Task<WatchInterestRoutes> LoadAsync(IAmazonDynamoDB dynamo, string watchesTable, IEnumerable<string> paths, CancellationToken ct)
    {
        var recursive = RecursiveInterestAsync(dynamo, watchesTable, ct);
        var interest = new Dictionary<string, List<(string Gateway, string Kind)>>(StringComparer.Ordinal);
        // At most 16 in flight: a large batch must not turn into a burst that DynamoDB throttles.
        foreach (var chunk in paths.Distinct(StringComparer.Ordinal).Chunk(16))
        {
            var results = await Task.WhenAll(chunk.Select(p => InterestInAsync(dynamo, watchesTable, p, ct))).ConfigureAwait(false);
            for (int i = 0; i < chunk.Length; i++)
            {
                interest[chunk[i]] = results[i];
            }
        }
        return new WatchInterestRoutes(interest, await recursive.ConfigureAwait(false));
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
