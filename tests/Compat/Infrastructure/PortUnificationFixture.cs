namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// Real ZooKeeper 3.8.0 (Netty factory) and the gateway with <c>zookeeper.client.portUnification=true</c>:
/// TLS and plaintext clients on <c>clientPort</c>, with <see cref="TlsFixture"/>'s keys (stores, x509
/// provider, super user). No secureClientPort.
/// </summary>
public sealed class PortUnificationFixture : IAsyncLifetime
{
    private readonly TargetsOnFirstUse<TargetKind, IZkTarget> _targets = new(t => t);

    /// <summary>The shared keys; <paramref name="dir"/> holds the certificates.</summary>
    public static KeyValuePair<string, string>[] Properties(string dir) =>
    [
        .. TlsFixture.Properties(dir),
        new("zookeeper.client.portUnification", "true"),
    ];

    /// <summary>The target, started on first use; its <see cref="IZkTarget.Port"/> is the unified port.</summary>
    public Task<IZkTarget> GetAsync(TargetKind kind) => _targets.GetAsync(kind, async () =>
    {
        var properties = Properties(await TlsCertificates.DirectoryAsync());
        return kind switch
        {
            TargetKind.ZooKeeper => (IZkTarget)new RealZooKeeper(properties),
            TargetKind.Gateway => new GatewayServer(properties),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _targets.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PortUnificationCollection : ICollectionFixture<PortUnificationFixture>
{
    public const string Name = "compat-port-unification";
}
