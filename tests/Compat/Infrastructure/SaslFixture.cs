namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// Real ZooKeeper 3.8.0 and the gateway configured the same way for SASL (DIGEST-MD5): the same JAAS file
/// (<see cref="JaasFileAsync"/>) as <c>java.security.auth.login.config</c>, the sasl provider registered
/// (<c>zookeeper.authProvider.sasl</c>) and <c>admin</c> as <c>zookeeper.superUser</c>; the enforced set also
/// has <c>zookeeper.enforce.auth.enabled=true</c> and <c>zookeeper.enforce.auth.schemes=sasl</c>. ZooKeeper
/// gets the keys as JVM system properties (<c>-Dkey=value</c>), the gateway as <c>--key=value</c>.
/// </summary>
public sealed class SaslFixture : IAsyncLifetime
{
    /// <summary>
    /// The server's users (Server section) and the client sections the Java scenario picks with
    /// <c>zookeeper.sasl.clientconfig</c>: bob, bob with a wrong password, admin (the super user) and an
    /// unknown user.
    /// </summary>
    public const string Jaas = """
        /* ZooKeeper's server side: DIGEST-MD5 users as user_<name>="<password>" */
        Server {
            org.apache.zookeeper.server.auth.DigestLoginModule required
            user_bob="bob-secret"
            user_admin="admin secret";   // a space inside the quotes
        };
        Client {
            org.apache.zookeeper.server.auth.DigestLoginModule required username="bob" password="bob-secret";
        };
        WrongPassword {
            org.apache.zookeeper.server.auth.DigestLoginModule required username="bob" password="not-bobs";
        };
        Admin {
            org.apache.zookeeper.server.auth.DigestLoginModule required username="admin" password="admin secret";
        };
        Unknown {
            org.apache.zookeeper.server.auth.DigestLoginModule required username="eve" password="eve-secret";
        };
        """;

    private static readonly Lazy<string> JaasPath = new(() =>
    {
        var dir = RepoPaths.NewTempDir("sasl");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        var path = Path.Combine(dir, "jaas.conf");
        File.WriteAllText(path, Jaas);
        return path;
    });

    private readonly TargetsOnFirstUse<(TargetKind, bool), IZkTarget> _targets = new(t => t);

    /// <summary>The JAAS file, written once per test run.</summary>
    public static string JaasFile => JaasPath.Value;

    public static KeyValuePair<string, string>[] Properties(bool enforced) =>
    [
        new("java.security.auth.login.config", JaasFile),
        new("zookeeper.authProvider.sasl", "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"),
        new("zookeeper.superUser", "admin"),
        .. enforced
            ? new KeyValuePair<string, string>[] { new("zookeeper.enforce.auth.enabled", "true"), new("zookeeper.enforce.auth.schemes", "sasl") }
            : [],
    ];

    /// <summary>The target (enforce.auth on or off), started on first use.</summary>
    public Task<IZkTarget> GetAsync(TargetKind kind, bool enforced) => _targets.GetAsync((kind, enforced), () =>
    {
        var properties = Properties(enforced);
        return Task.FromResult(kind switch
        {
            TargetKind.ZooKeeper => (IZkTarget)new RealZooKeeper(properties),
            TargetKind.Gateway => new GatewayServer(properties),
            // The sidecar on the AWS provider set: the ids reach the functions in each write request.
            TargetKind.AwsGateway => new AwsGatewayServer(properties: properties),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        });
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _targets.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SaslCollection : ICollectionFixture<SaslFixture>
{
    public const string Name = "compat-sasl";
}
