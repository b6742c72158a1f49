using Prometheus;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Gateway.Metrics;

namespace ZkGateway.Gateway.Tests.Metrics;

/// <summary>zkgateway_backend_call_latency_ms is fed by the cloud-call spans the AWS provider set records.</summary>
public sealed class CloudCallLatencyTests
{
    [Fact]
    public async Task A_recorded_cloud_call_becomes_a_sample_of_its_service_and_api()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using (new CloudCallLatency(Prometheus.Metrics.WithCustomRegistry(registry), [new QuantileEpsilonPair(0.5, 0.05)]))
        {
            var start = new DateTime(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);
            CloudTrace.RecordCall(new CloudTrace.Call("dynamodb", "GetItem", start, start.AddMilliseconds(12)), "getData");
        }
        // After the listener is gone, calls are not counted.
        var later = new DateTime(2026, 12, 2, 12, 1, 0, DateTimeKind.Utc);
        CloudTrace.RecordCall(new CloudTrace.Call("dynamodb", "GetItem", later, later.AddMilliseconds(5)), "getData");

        using var text = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(text);
        string exposition = System.Text.Encoding.UTF8.GetString(text.ToArray());
        Assert.Contains("zkgateway_backend_call_latency_ms_count{service=\"dynamodb\",api=\"GetItem\"} 1", exposition, StringComparison.Ordinal);
        Assert.Contains("zkgateway_backend_call_latency_ms_sum{service=\"dynamodb\",api=\"GetItem\"} 12", exposition, StringComparison.Ordinal);
    }
}
