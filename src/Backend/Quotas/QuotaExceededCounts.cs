using System.Collections.Concurrent;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// ServerMetrics.QUOTA_EXCEEDED_ERROR_PER_NAMESPACE: QuotaExceeded answers of this process's writer,
/// by top namespace (PathUtils.getTopNamespace), for the quota_exceeded_error_per_namespace counter.
/// Process-wide, as ZooKeeper's ServerMetrics are.
/// </summary>
public sealed class QuotaExceededCounts
{
    public static QuotaExceededCounts Shared { get; } = new();

    // Since the last srst (mntr, monitor), and since start (Prometheus, whose counters never reset).
    private readonly ConcurrentDictionary<string, long> _sinceReset = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _total = new(StringComparer.Ordinal);

    public void Add(string topNamespace)
    {
        _total.AddOrUpdate(topNamespace, 1, (_, n) => n + 1);
        _sinceReset.AddOrUpdate(topNamespace, 1, (_, n) => n + 1);
    }

    /// <summary>The counts since the last <see cref="Reset"/>, as the default provider's mntr dump shows them.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() => [.. _sinceReset];

    /// <summary>The counts since start: 3.8.0's PrometheusMetricsProvider ignores resetAll.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Totals() => [.. _total];

    /// <summary>srst (ServerMetrics.resetAll → SimpleCounterSet.reset): each namespace back to 0, its key kept.</summary>
    public void Reset()
    {
        foreach (string ns in _sinceReset.Keys)
        {
            _sinceReset[ns] = 0;
        }
    }
}
