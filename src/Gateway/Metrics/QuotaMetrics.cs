using ZkGateway.Backend;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Gateway.Metrics;

/// <summary>
/// QuotaMetricsUtils of 3.8.0: the four quota gauge sets, per top namespace, summed over the leaves
/// of /zookeeper/quota — limits from zookeeper_limits leaves (the hard limit when set, else the soft
/// one), usage from zookeeper_stats leaves. Read through the backend when asked (mntr, monitor, a
/// scrape), as ZooKeeper walks its DataTree in the gauge sets' callbacks.
/// </summary>
internal static class QuotaMetrics
{
    public const string CountLimit = "quota_count_limit_per_namespace";
    public const string BytesLimit = "quota_bytes_limit_per_namespace";
    public const string CountUsage = "quota_count_usage_per_namespace";
    public const string BytesUsage = "quota_bytes_usage_per_namespace";
    public const string Exceeded = "quota_exceeded_error_per_namespace";

    /// <summary>Each gauge set's values by namespace, in registerMetrics' order.</summary>
    public static async Task<IReadOnlyList<KeyValuePair<string, IReadOnlyDictionary<string, long>>>> CollectAsync(IZkBackend backend, CancellationToken ct)
    {
        var sums = new[] { CountLimit, BytesLimit, CountUsage, BytesUsage }
            .ToDictionary(n => n, _ => new Dictionary<string, long>(StringComparer.Ordinal), StringComparer.Ordinal);
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
                    pending.Push(ZkPath.Join(path, child));
                }
                continue;
            }
            await CollectLeafAsync(backend, path, sums, ct).ConfigureAwait(false);
        }
        return [.. sums.Select(kv => new KeyValuePair<string, IReadOnlyDictionary<string, long>>(kv.Key, kv.Value))];
    }

    private static async Task CollectLeafAsync(IZkBackend backend, string path, Dictionary<string, Dictionary<string, long>> sums, CancellationToken ct)
    {
        string? limitsOf = QuotaPaths.QuotaPathOf(path, QuotaPaths.LimitNode);
        string? statsOf = QuotaPaths.QuotaPathOf(path, QuotaPaths.StatNode);
        if ((limitsOf ?? statsOf) is not { } quota || QuotaPaths.TopNamespace(quota) is not { } ns)
        {
            return;
        }
        var data = await backend.GetDataAsync(path, null, null, ct).ConfigureAwait(false);
        // Null data is skipped, as collectQuotaLimitOrUsage does; text StatsTrack cannot parse too
        // (ZooKeeper's callback would throw there and the scrape would fail).
        if (!data.IsOk || data.Value.Data is null || StatsTrack.Parse(data.Value.Data) is not { } track)
        {
            return;
        }
        if (limitsOf is not null)
        {
            Add(sums[CountLimit], ns, track.CountHardLimit > -1 ? track.CountHardLimit : track.Count);
            Add(sums[BytesLimit], ns, track.ByteHardLimit > -1 ? track.ByteHardLimit : track.Bytes);
        }
        else
        {
            Add(sums[CountUsage], ns, track.Count);
            Add(sums[BytesUsage], ns, track.Bytes);
        }
    }

    private static void Add(Dictionary<string, long> sums, string ns, long value) => sums[ns] = sums.GetValueOrDefault(ns) + value;
}
