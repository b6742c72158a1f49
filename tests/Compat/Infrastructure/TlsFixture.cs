using System.Globalization;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// Real ZooKeeper 3.8.0 and the gateway configured the same way for TLS: Netty's connection factory
/// (ZooKeeper), a plaintext <c>clientPort</c> (for readiness) and a <c>secureClientPort</c> with the same
/// key store (server.p12), trust store (ca.pem, PEM), <c>ssl.clientAuth</c> default (need), the x509
/// provider registered (<c>zookeeper.authProvider.x509</c>) and <c>admin</c> as its super user.
/// ZooKeeper gets the <c>zookeeper.*</c> keys as system properties and secureClientPort in zoo.cfg; the
/// gateway gets the very same keys as <c>--key=value</c>.
/// </summary>
public sealed class TlsFixture : IAsyncLifetime
{
    private readonly TargetsOnFirstUse<TargetKind, (IZkTarget Target, int SecurePort)> _targets = new(t => t.Target);

    /// <summary>The shared keys; <paramref name="dir"/> holds the certificates.</summary>
    public static KeyValuePair<string, string>[] Properties(string dir) =>
    [
        new("zookeeper.serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory"),
        new("zookeeper.ssl.keyStore.location", Path.Combine(dir, "server.p12")),
        new("zookeeper.ssl.keyStore.password", TlsCertificates.Password),
        new("zookeeper.ssl.keyStore.type", "PKCS12"),
        new("zookeeper.ssl.trustStore.location", Path.Combine(dir, "ca.pem")),
        new("zookeeper.ssl.trustStore.type", "PEM"),
        new("zookeeper.authProvider.x509", "org.apache.zookeeper.server.auth.X509AuthenticationProvider"),
        new("zookeeper.X509AuthenticationProvider.superUser", TlsCertificates.AdminDn),
    ];

    /// <summary>The target and its TLS port, started on first use.</summary>
    public Task<(IZkTarget Target, int SecurePort)> GetAsync(TargetKind kind) => _targets.GetAsync(kind, async () =>
    {
        var properties = Properties(await TlsCertificates.DirectoryAsync());
        int securePort = Net.FreePort();
        string port = securePort.ToString(CultureInfo.InvariantCulture);
        IZkTarget target = kind switch
        {
            TargetKind.ZooKeeper => new RealZooKeeper(properties, [new("secureClientPort", port), new("secureClientPortAddress", "127.0.0.1")]),
            TargetKind.Gateway => new GatewayServer([.. properties, new("secureClientPort", port), new("secureClientPortAddress", "127.0.0.1")]),
            // The sidecar on the AWS provider set: the x509 ids reach the functions with each write request.
            TargetKind.AwsGateway => new AwsGatewayServer(properties: [.. properties, new("secureClientPort", port), new("secureClientPortAddress", "127.0.0.1")]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return (target, securePort);
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _targets.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class TlsCollection : ICollectionFixture<TlsFixture>
{
    public const string Name = "compat-tls";
}
