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

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string topNamespace) => _counts.AddOrUpdate(topNamespace, 1, (_, n) => n + 1);

    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() => [.. _counts];
}
