using ZkGateway.Backend.Quotas;

namespace ZkGateway.Gateway.Metrics;

/// <summary>
/// The gateway's counterpart of ZooKeeper's ServerMetrics with its DefaultMetricsProvider: every
/// counter and summary of <see cref="ZooKeeperMetricNames"/>, the few the gateway measures fed by the
/// connection layer, and the dump that mntr and the AdminServer's monitor command print.
/// </summary>
public sealed class ServerMetrics
{
    private readonly Dictionary<string, long[]> _counters;
    private readonly Dictionary<string, SummaryAccumulator> _summaries;
    private readonly long[] _bytesReceived;
    private readonly long[] _connectionRequests;

    public ServerMetrics()
    {
        // One-element arrays: a counter is incremented through a reference found once.
        _counters = ZooKeeperMetricNames.Counters.ToDictionary(n => n, _ => new long[1], StringComparer.Ordinal);
        _summaries = ZooKeeperMetricNames.BasicSummaries.Select(n => new SummaryAccumulator(n, advanced: false))
            .Concat(ZooKeeperMetricNames.AdvancedSummaries.Select(n => new SummaryAccumulator(n, advanced: true)))
            .ToDictionary(s => s.Name, StringComparer.Ordinal);
        ReadLatency = _summaries["readlatency"];
        UpdateLatency = _summaries["updatelatency"];
        _bytesReceived = _counters["bytes_received_count"];
        _connectionRequests = _counters["connection_request_count"];
    }

    /// <summary>readlatency: ms from a request's arrival to its reply, for requests that change nothing.</summary>
    public SummaryAccumulator ReadLatency { get; }

    /// <summary>updatelatency: the same for requests that are transactions in ZooKeeper.</summary>
    public SummaryAccumulator UpdateLatency { get; }

    /// <summary>bytes_received_count: bytes of client frames read.</summary>
    public void AddBytesReceived(long bytes) => Interlocked.Add(ref _bytesReceived[0], bytes);

    /// <summary>connection_request_count: ConnectRequests received.</summary>
    public void CountConnectionRequest() => Interlocked.Increment(ref _connectionRequests[0]);

    /// <summary>Every summary, by name.</summary>
    public IReadOnlyDictionary<string, SummaryAccumulator> Summaries => _summaries;

    /// <summary>A counter's current value.</summary>
    public long Counter(string name) => Interlocked.Read(ref _counters[name][0]);

    /// <summary>Called with every request's operation code and latency: the gateway's per-operation series, when Prometheus is on.</summary>
    public Action<int, long>? RequestObserver { get; set; }

    /// <summary>Counts one request's latency under readlatency or updatelatency, as ServerStats.updateLatency does.</summary>
    public void RecordLatency(int opType, long latencyMs)
    {
        (IsTransaction(opType) ? UpdateLatency : ReadLatency).Add(latencyMs);
        RequestObserver?.Invoke(opType, latencyMs);
    }

    /// <summary>srst (ServerStats.reset → resetAll): every counter and summary back to zero.</summary>
    public void Reset()
    {
        foreach (var counter in _counters.Values)
        {
            Interlocked.Exchange(ref counter[0], 0);
        }
        foreach (var summary in _summaries.Values)
        {
            summary.Reset();
        }
        // The counter set too: resetAll resets quota_exceeded_error_per_namespace with the counters.
        QuotaExceededCounts.Shared.Reset();
    }

    /// <summary>DefaultMetricsProvider.dump: counters by name, then each summary's avg/min/max/cnt/sum (and percentiles).</summary>
    public IEnumerable<KeyValuePair<string, object>> Dump()
    {
        foreach (var name in ZooKeeperMetricNames.Counters)
        {
            yield return new(name, Counter(name));
        }
        // Then the counter sets: quota_exceeded_error_per_namespace, each namespace as key_name.
        foreach (var (ns, count) in QuotaExceededCounts.Shared.Snapshot())
        {
            yield return new(ns + "_" + QuotaMetrics.Exceeded, count);
        }
        foreach (var summary in _summaries.Values)
        {
            foreach (var value in summary.Values())
            {
                yield return value;
            }
        }
    }

    /// <summary>The operations ZooKeeper runs as transactions (a request with a txn header; PrepRequestProcessor).</summary>
    private static bool IsTransaction(int opType) => opType switch
    {
        1 or 2 or 5 or 7 or 13 or 14 or 15 or 16 or 19 or 20 or 21 or -10 or -11 => true,
        _ => false,
    };
}
