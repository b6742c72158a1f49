using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// Quota usage, kept as ZooKeeper 3.8's DataTree keeps it: each applied change adds its count and
/// bytes to the zookeeper_stats node of the longest quota path above it (one with a zookeeper_limits
/// node), creating a stats node counts the subtree afresh, and loading a tree counts every quota
/// afresh. The stats node's data changes without a zxid, version or watch event, as in ZooKeeper;
/// because it is derived from the tree, the log does not carry it and a restart recomputes it.
/// Called under the write lock.
/// </summary>
public sealed partial class EmbeddedUserStorage
{
    /// <summary>DataTree.getMaxPrefixWithQuota: the quota a path counts against, or null.</summary>
    private string? QuotaOf(string path)
    {
        // No quota anywhere (the common case) costs one look-up.
        if (!_nodes.TryGetValue(ZkPath.Quota, out var quotaRoot) || quotaRoot.Children.Count == 0)
        {
            return null;
        }
        foreach (string prefix in QuotaPaths.PrefixesLongestFirst(path))
        {
            if (_nodes.ContainsKey(QuotaPaths.LimitPath(prefix)))
            {
                return prefix;
            }
        }
        return null;
    }

    /// <summary>DataTree.updateQuotaStat for the quota above <paramref name="path"/>, if any.</summary>
    private void CountInQuota(string path, long bytesDiff, int countDiff)
    {
        // A stats node missing or not in StatsTrack's format: ZooKeeper logs an error or fails the
        // apply; the usage is left as it is.
        if (QuotaOf(path) is not { } quota
            || !_nodes.TryGetValue(QuotaPaths.StatPath(quota), out var entry)
            || StatsTrack.Parse(entry.Data) is not { } stats)
        {
            return;
        }
        stats.Count += countDiff;
        stats.Bytes += bytesDiff;
        SetStatsData(entry, stats);
    }

    /// <summary>DataTree.updateQuotaForPath: the subtree's count and bytes, written to its stats node.</summary>
    private void RecountQuota(string quotaPath)
    {
        long count = 0;
        long bytes = 0;
        var pending = new Stack<string>();
        pending.Push(quotaPath);
        while (pending.TryPop(out string? path))
        {
            if (!_nodes.TryGetValue(path, out var entry))
            {
                continue;
            }
            count++;
            bytes += entry.Data?.Length ?? 0;
            foreach (string child in entry.Children)
            {
                pending.Push(ZkPath.Join(path, child));
            }
        }
        // ZooKeeper writes a fresh StatsTrack here: only count and bytes remain.
        SetStatsData(quotaPath, new StatsTrack { Count = count, Bytes = bytes });
    }

    /// <summary>DataTree.setupQuota after loading: every quota's usage counted from the tree.</summary>
    private void RecountAllQuotas()
    {
        // Only the /zookeeper/quota subtree holds limits nodes: a start-up walk of it, not of the tree.
        var pending = new Stack<string>();
        pending.Push(ZkPath.Quota);
        while (pending.TryPop(out string? path))
        {
            if (!_nodes.TryGetValue(path, out var entry))
            {
                continue;
            }
            if (entry.Children.Count == 0 && QuotaPaths.QuotaPathOf(path, QuotaPaths.LimitNode) is { } quota)
            {
                RecountQuota(quota);
            }
            foreach (string child in entry.Children)
            {
                pending.Push(ZkPath.Join(path, child));
            }
        }
    }

    /// <summary>The quota bookkeeping of one applied change (after it is applied).</summary>
    private void TrackQuotaAfterCreate(string path, long bytes)
    {
        if (QuotaPaths.QuotaPathOf(path, QuotaPaths.StatNode) is { } quota)
        {
            RecountQuota(quota);
        }
        CountInQuota(path, bytes, 1);
    }

    private void SetStatsData(string quotaPath, StatsTrack stats)
    {
        if (_nodes.TryGetValue(QuotaPaths.StatPath(quotaPath), out var entry))
        {
            SetStatsData(entry, stats);
        }
    }

    private void SetStatsData(Entry entry, StatsTrack stats)
    {
        byte[] data = stats.ToBytes();
        _dataSize += data.Length - (entry.Data?.Length ?? 0);
        entry.Data = data;
        // Only the data changes (DataNode.copyStat derives dataLength from it): no mzxid, no version.
        entry.SetStat(entry.Stat with { DataLength = data.Length }, null);
    }
}
