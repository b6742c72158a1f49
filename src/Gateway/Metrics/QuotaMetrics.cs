using ZkGateway.Backend;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Gateway.Metrics;

/// <summary>
/// QuotaMetricsUtils of 3.8.0: the four quota gauges per top namespace, summed over the leaves of
/// /zookeeper/quota — limits from zookeeper_limits leaves (the hard limit when set, else the soft
/// one), usage from zookeeper_stats leaves. Read through the backend at each scrape, as ZooKeeper
/// walks its DataTree at each one.
/// </summary>
internal static class QuotaMetrics
{
    public sealed record Sums(Dictionary<string, long> CountLimit, Dictionary<string, long> BytesLimit, Dictionary<string, long> CountUsage, Dictionary<string, long> BytesUsage);

    public static async Task<Sums> CollectAsync(IZkBackend backend, CancellationToken ct)
    {
        var sums = new Sums(new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        var pending = new Stack<string>();
        pending.Push(ZkPath.Quota);
        while (pending.TryPop(out string? path))
        {
            var children = await backend.GetChildrenAsync(path, null, null, ct).ConfigureAwait(false);
            if (!children.IsOk)
            {
                continue;
            }
            if (children.Value!.Children.Count > 0)
            {
                foreach (string child in children.Value.Children)
                {
                    pending.Push(path + "/" + child);
                }
                continue;
            }
            await CollectLeafAsync(backend, path, sums, ct).ConfigureAwait(false);
        }
        return sums;
    }

    private static async Task CollectLeafAsync(IZkBackend backend, string path, Sums sums, CancellationToken ct)
    {
        string? limitsOf = QuotaPaths.QuotaPathOf(path, QuotaPaths.LimitNode);
        string? statsOf = QuotaPaths.QuotaPathOf(path, QuotaPaths.StatNode);
        if ((limitsOf ?? statsOf) is not { } quota || TopNamespace(quota) is not { } ns)
        {
            return;
        }
        var data = await backend.GetDataAsync(path, null, null, ct).ConfigureAwait(false);
        if (!data.IsOk || data.Value.Data is null || StatsTrack.Parse(data.Value.Data) is not { } track)
        {
            return;
        }
        if (limitsOf is not null)
        {
            Add(sums.CountLimit, ns, track.CountHardLimit > -1 ? track.CountHardLimit : track.Count);
            Add(sums.BytesLimit, ns, track.ByteHardLimit > -1 ? track.ByteHardLimit : track.Bytes);
        }
        else
        {
            Add(sums.CountUsage, ns, track.Count);
            Add(sums.BytesUsage, ns, track.Bytes);
        }
    }

    private static void Add(Dictionary<string, long> sums, string ns, long value) => sums[ns] = sums.GetValueOrDefault(ns) + value;

    /// <summary>PathUtils.getTopNamespace: "/a/b" → "a"; null for "/".</summary>
    public static string? TopNamespace(string path)
    {
        string[] parts = path.Split('/');
        return parts.Length > 1 ? parts[1] : null;
    }
}
