using System.Diagnostics;
using Prometheus;
using ZkGateway.Backend.Diagnostics;

namespace ZkGateway.Gateway.Metrics;

/// <summary>
/// zkgateway_backend_call_latency_ms: how long each cloud request of the backend took, per service and
/// API, from the <see cref="CloudTrace"/> spans the AWS provider set records for every call (the
/// SDK hook's start and end). The embedded backend makes no cloud calls, so it has no samples.
/// Listening turns the spans on, so this exists only while Prometheus is.
/// </summary>
public sealed class CloudCallLatency : IDisposable
{
    private readonly ActivityListener _listener;

    public CloudCallLatency(IMetricFactory factory, IReadOnlyList<QuantileEpsilonPair> quantiles)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var summary = factory.CreateSummary("zkgateway_backend_call_latency_ms",
            "Milliseconds of each cloud request the backend made, per service and API",
            ["service", "api"], new SummaryConfiguration { Objectives = quantiles });
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CloudTrace.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == CloudTrace.CallSpan
                    && activity.GetTagItem(CloudTrace.ServiceTag) is string service
                    && activity.GetTagItem(CloudTrace.ApiTag) is string api)
                {
                    summary.WithLabels(service, api).Observe(activity.Duration.TotalMilliseconds);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();
}
