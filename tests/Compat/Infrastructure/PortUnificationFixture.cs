namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// Real ZooKeeper 3.8.0 (Netty factory) and the gateway with <c>zookeeper.client.portUnification=true</c>:
/// TLS and plaintext clients on <c>clientPort</c>, with <see cref="TlsFixture"/>'s keys (stores, x509
/// provider, super user). No secureClientPort.
/// </summary>
public sealed class PortUnificationFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<TargetKind, IZkTarget> _targets = [];

    /// <summary>The shared keys; <paramref name="dir"/> holds the certificates.</summary>
    public static KeyValuePair<string, string>[] Properties(string dir) =>
    [
        .. TlsFixture.Properties(dir),
        new("zookeeper.client.portUnification", "true"),
    ];

    /// <summary>The target, started on first use; its <see cref="IZkTarget.Port"/> is the unified port.</summary>
    public async Task<IZkTarget> GetAsync(TargetKind kind)
    {
        await _lock.WaitAsync();
        try
        {
            if (_targets.TryGetValue(kind, out var known))
            {
                return known;
            }
            var properties = Properties(await TlsCertificates.DirectoryAsync());
            IZkTarget target = kind switch
            {
                TargetKind.ZooKeeper => new RealZooKeeper(properties),
                TargetKind.Gateway => new GatewayServer(properties),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            _targets[kind] = target;
            await target.StartAsync();
            return target;
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var t in _targets.Values)
        {
            await t.DisposeAsync();
        }
        _targets.Clear();
        _lock.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PortUnificationCollection : ICollectionFixture<PortUnificationFixture>
{
    public const string Name = "compat-port-unification";
}
