using System.Globalization;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Admin;

/// <summary>
/// Real ZooKeeper 3.8.0 and the gateway, both standalone with the AdminServer on a free port of
/// 127.0.0.1 (<c>admin.enableServer=true</c>, <c>admin.serverAddress</c>, <c>admin.serverPort</c>, as
/// zoo.cfg lines for ZooKeeper and <c>--key=value</c> for the gateways: embedded, and the sidecar on the
/// AWS emulators). The gateways also serve Prometheus on free ports (Debian's ZooKeeper ships no Prometheus provider jar: its metric names
/// are pinned from the source in <see cref="PrometheusScenarios"/>).
/// </summary>
public sealed class AdminFixture : IAsyncLifetime
{
    private readonly TargetsOnFirstUse<TargetKind, (IZkTarget Target, int AdminPort)> _targets = new(t => t.Target);

    /// <summary>The gateway's /metrics port.</summary>
    public int MetricsPort { get; } = Net.FreePort();

    /// <summary>The sidecar gateway's /metrics port (AWS provider set on the emulators).</summary>
    public int AwsMetricsPort { get; } = Net.FreePort();

    private static KeyValuePair<string, string>[] Prometheus(int port) =>
    [
        new("metricsProvider.className", "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"),
        new("metricsProvider.httpHost", "127.0.0.1"),
        new("metricsProvider.httpPort", port.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>The target and its AdminServer port, started on first use.</summary>
    public Task<(IZkTarget Target, int AdminPort)> GetAsync(TargetKind kind) => _targets.GetAsync(kind, () =>
    {
        int adminPort = Net.FreePort();
        KeyValuePair<string, string>[] admin =
        [
            new("admin.enableServer", "true"),
            new("admin.serverAddress", "127.0.0.1"),
            new("admin.serverPort", adminPort.ToString(CultureInfo.InvariantCulture)),
        ];
        IZkTarget target = kind switch
        {
            TargetKind.ZooKeeper => new RealZooKeeper(config: admin),
            TargetKind.Gateway => new GatewayServer([.. admin, .. Prometheus(MetricsPort)]),
            // The function host ignores the keys it does not know: only the gateway serves them.
            TargetKind.AwsGateway => new AwsGatewayServer(properties: [.. admin, .. Prometheus(AwsMetricsPort)]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return Task.FromResult((target, adminPort));
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _targets.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AdminCollection : ICollectionFixture<AdminFixture>
{
    public const string Name = "compat-admin";
}
