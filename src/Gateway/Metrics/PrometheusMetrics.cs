using System.Globalization;
using Prometheus;
using ZkGateway.Backend;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Quotas;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Metrics;

/// <summary>
/// The /metrics endpoint of 3.8.0's PrometheusMetricsProvider, built on prometheus-net: every name of
/// <see cref="ZooKeeperMetricNames"/> with the provider's types (gauges, counters, summaries with its
/// quantiles, labelled sets with the label <c>key</c>), the .NET runtime's own series in place of the
/// JVM's (exportJvmInfo), and the gateway's under <c>zkgateway_</c>. A registry per host, so that hosts
/// in one process (tests) do not share series.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    /// <summary>The label 3.8.0 gives every labelled set.</summary>
    private const string KeyLabel = "key";

    private static readonly IReadOnlyList<QuantileEpsilonPair> BasicQuantiles = [new(0.5, 0.05)];

    private static readonly IReadOnlyList<QuantileEpsilonPair> AdvancedQuantiles = [new(0.5, 0.05), new(0.9, 0.01), new(0.99, 0.001)];

    private static readonly Dictionary<int, string> OperationNames = Enum.GetValues<OpCode>()
        .ToDictionary(op => (int)op, op => char.ToLowerInvariant(op.ToString()[0]) + op.ToString()[1..]);

    private readonly GatewayStatistics _statistics;
    private readonly IZkBackend _backend;
    private readonly ConnectionRegistry _registry;
    private readonly Dictionary<string, Gauge> _gauges = [];
    private readonly Dictionary<string, Counter> _counters = [];
    private readonly Dictionary<string, Gauge> _gaugeSets = [];
    private readonly Dictionary<string, Counter> _counterSets = [];
    private readonly Counter _cloudCalls;
    private readonly Counter _cloudUnits;
    private readonly Gauge _cloudUsd;
    private readonly Dictionary<string, Gauge> _gatewayGauges = [];
    private readonly CloudCallLatency _cloudCallLatency;

    public PrometheusMetrics(MetricsProviderSettings settings, GatewayStatistics statistics, IZkBackend backend, ConnectionRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(statistics);
        _statistics = statistics;
        _backend = backend;
        _registry = registry;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        if (settings.ExportRuntimeInfo)
        {
            DotNetStats.Register(Registry);
        }

        // ZooKeeper names its help text after the metric itself.
        foreach (var name in ZooKeeperMetricNames.Gauges)
        {
            _gauges[name] = factory.CreateGauge(name, name);
        }
        foreach (var name in ZooKeeperMetricNames.GaugeSets)
        {
            _gaugeSets[name] = factory.CreateGauge(name, name, [KeyLabel]);
        }
        foreach (var name in ZooKeeperMetricNames.Counters)
        {
            _counters[name] = factory.CreateCounter(name, name);
        }
        foreach (var name in ZooKeeperMetricNames.CounterSets)
        {
            _counterSets[name] = factory.CreateCounter(name, name, [KeyLabel]);
        }
        foreach (var accumulator in statistics.Metrics.Summaries.Values)
        {
            var summary = factory.CreateSummary(accumulator.Name, accumulator.Name, new SummaryConfiguration
            {
                Objectives = accumulator.Advanced ? AdvancedQuantiles : BasicQuantiles,
            });
            accumulator.Observer = v => summary.Observe(v);
        }
        foreach (var name in ZooKeeperMetricNames.SummarySets)
        {
            bool advanced = name is "learner_handler_qp_time_ms" or "ack_latency";
            factory.CreateSummary(name, name, [KeyLabel], new SummaryConfiguration { Objectives = advanced ? AdvancedQuantiles : BasicQuantiles });
        }

        // The gateway's own series.
        var latency = factory.CreateSummary("zkgateway_request_latency_ms",
            "Milliseconds from a request's arrival to its reply, per ZooKeeper operation",
            ["operation"], new SummaryConfiguration { Objectives = AdvancedQuantiles });
        statistics.Metrics.RequestObserver = (op, ms) => latency.WithLabels(OperationNames.GetValueOrDefault(op, "unknown")).Observe(ms);
        _cloudCalls = factory.CreateCounter("zkgateway_cloud_calls",
            "Billable cloud calls made by this process, per ZooKeeper operation, service and API (the cost meter)",
            ["operation", "service", "api"]);
        _cloudUnits = factory.CreateCounter("zkgateway_cloud_units",
            "Billed units of those calls: SQS 64 KB chunks, S3 requests, Lambda GB-microseconds",
            ["operation", "service", "api"]);
        _cloudUsd = factory.CreateGauge("zkgateway_cloud_estimated_usd",
            "The cost meter's estimate at list prices, per ZooKeeper operation", ["operation"]);
        _cloudCallLatency = new CloudCallLatency(factory, AdvancedQuantiles);
        foreach (var (key, help) in GatewayGauges)
        {
            _gatewayGauges[key] = factory.CreateGauge("zkgateway_" + key, help);
        }

        Registry.AddBeforeCollectCallback(SampleAsync);
    }

    /// <summary>The backend's mntr keys exported as zkgateway_ gauges.</summary>
    private static readonly (string Key, string Help)[] GatewayGauges =
    [
        ("epoch_read_waits", "Reads that waited for this gateway's inbox to deliver the watch events their node's epoch stamp names"),
        ("epoch_read_wait_timeouts", "Of those, reads answered at the epochWaitMs bound"),
        ("epoch_read_wait_ms", "Milliseconds reads spent in those waits"),
        ("epoch_stamps_truncated", "Epoch stamps cut to their size bound"),
    ];

    /// <summary>What the endpoint exposes.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Stops listening to the backend's spans (the container disposes this at shutdown).</summary>
    public void Dispose() => _cloudCallLatency.Dispose();

    // PrometheusLabelledGaugeWrapper.sample sets each namespace the callback returns and removes none:
    // a namespace whose quota is gone keeps its last value until a restart, as on 3.8.0.
    private void SampleQuotas(ServerSnapshot snapshot)
    {
        foreach (var (name, values) in snapshot.QuotaGaugeSets)
        {
            foreach (var (ns, value) in values)
            {
                _gaugeSets[name].WithLabels(ns).Set(value);
            }
        }
        foreach (var (ns, count) in QuotaExceededCounts.Shared.Totals())
        {
            _counterSets[QuotaMetrics.Exceeded].WithLabels(ns).IncTo(count);
        }
    }

    // PrometheusMetricsProvider.sampleGauges: the callback gauges are read at each scrape.
    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _statistics.SnapshotAsync(_backend, _registry, withQuotas: true).ConfigureAwait(false);
        foreach (var (name, value) in MonitorValues.Gauges(snapshot))
        {
            _gauges[name].Set(Convert.ToDouble(value, CultureInfo.InvariantCulture));
        }
        foreach (var (name, counter) in _counters)
        {
            counter.IncTo(_statistics.Metrics.Counter(name));
        }
        SampleQuotas(snapshot);
        foreach (var (key, value) in snapshot.ExtraMonitorValues)
        {
            if (_gatewayGauges.TryGetValue(key, out var gauge) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            {
                gauge.Set(v);
            }
        }
        if (CostMeter.Enabled)
        {
            foreach (var line in CostMeter.Shared.Snapshot())
            {
                _cloudCalls.WithLabels(line.Operation, line.Service, line.Api).IncTo(line.Calls);
                _cloudUnits.WithLabels(line.Operation, line.Service, line.Api).IncTo(line.Units);
            }
            foreach (var op in CostMeter.Shared.Snapshot().GroupBy(l => l.Operation))
            {
                _cloudUsd.WithLabels(op.Key).Set((double)op.Sum(l => l.Usd));
            }
        }
    }
}
