using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// The usage of every quota of an imported tree, counted afresh as ZooKeeper 3.8 does when it loads a
/// snapshot (DataTree.setupQuota): a store that does not recount at start-up (the AWS user storages)
/// must get the stats nodes right from the import, since the tree lost its ephemerals on the way.
/// </summary>
public static class ImportedQuotaUsage
{
    /// <summary>
    /// <paramref name="nodes"/> with each zookeeper_stats node of a quota that has a zookeeper_limits
    /// node rewritten to the subtree's count and bytes (only data and dataLength change, no zxid or version).
    /// </summary>
    public static IReadOnlyList<SeedNode> Recount(IReadOnlyCollection<SeedNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var byPath = nodes.ToDictionary(n => n.Path, StringComparer.Ordinal);
        var children = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (ZkPath.Parent(node.Path) is { } parent)
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }
                list.Add(node.Path);
            }
        }
        foreach (var node in nodes)
        {
            if (QuotaPaths.QuotaPathOf(node.Path, QuotaPaths.LimitNode) is not { } quota
                || !byPath.TryGetValue(QuotaPaths.StatPath(quota), out var stats))
            {
                continue;
            }
            long count = 0;
            long bytes = 0;
            var pending = new Stack<string>();
            pending.Push(quota);
            while (pending.TryPop(out string? path))
            {
                if (!byPath.TryGetValue(path, out var counted))
                {
                    continue;
                }
                count++;
                bytes += counted.Data?.Length ?? 0;
                foreach (string child in children.GetValueOrDefault(path) ?? [])
                {
                    pending.Push(child);
                }
            }
            // A fresh StatsTrack, as ZooKeeper writes it here: only count and bytes remain.
            byte[] data = new StatsTrack { Count = count, Bytes = bytes }.ToBytes();
            byPath[stats.Path] = stats with { Data = data, Stat = stats.Stat with { DataLength = data.Length } };
        }
        return [.. byPath.Values];
    }
}
