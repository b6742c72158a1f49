using System.Text;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// SASL GSSAPI (Kerberos) against a private MIT KDC (<see cref="KerberosKdc"/>): real ZooKeeper 3.8.0 and the
/// gateway given the same JAAS file (Server: Krb5LoginModule with zookeeper/localhost's keytab) and the sasl
/// provider, and zkCli.sh logging in as alice from her keytab (Client section) to <c>localhost</c>, so the
/// service principal it asks for is <c>zookeeper/localhost@ZKGW.TEST</c>.
/// </summary>
public sealed class GssapiScenarios : IAsyncLifetime
{
    private KerberosKdc? _kdc;
    private string _jaas = "";

    public async Task InitializeAsync()
    {
        _kdc = await KerberosKdc.StartAsync();
        // Both servers' Kerberos libraries (and the Java client's, through java.security.krb5.conf) read this realm.
        Environment.SetEnvironmentVariable("KRB5_CONFIG", _kdc.ConfigFile);
        _jaas = Path.Combine(_kdc.Directory, "jaas.conf");
        // Server: the service. CombinedServer: the same principal, with other/localhost's key in its keytab too. RotatedServer / RotatedServerInitiator: zkrotated/localhost from a keytab one key
        // version behind the KDC; isInitiator=false keeps Krb5LoginModule from asking the KDC for a TGT at start-up
        // (which the stale key fails). The others are clients: alice; eve, whom the KDC no longer knows; mallory,
        // whose keytab is older than her key.
        await File.WriteAllTextAsync(_jaas, $$"""
            Server {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("server")}}" principal="{{KerberosKdc.ServicePrincipal}}";
            };
            CombinedServer {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("combined")}}" principal="{{KerberosKdc.ServicePrincipal}}";
            };
            RotatedServer {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false isInitiator=false
                keyTab="{{_kdc.Keytab("rotated")}}" principal="{{KerberosKdc.RotatedServicePrincipal}}";
            };
            RotatedServerInitiator {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("rotated")}}" principal="{{KerberosKdc.RotatedServicePrincipal}}";
            };
            Client {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("alice")}}" principal="alice@{{KerberosKdc.Realm}}";
            };
            Unknown {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("eve")}}" principal="eve@{{KerberosKdc.Realm}}";
            };
            StaleClient {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("stale")}}" principal="mallory@{{KerberosKdc.Realm}}";
            };

            """);
    }

    public async Task DisposeAsync()
    {
        if (_kdc is not null)
        {
            await _kdc.DisposeAsync();
        }
    }

    [Fact]
    public async Task ZkCli_authenticates_with_kerberos_and_a_sasl_acl_on_its_principal_is_obeyed_as_by_real_zookeeper()
    {
        string[] commands =
        [
            "whoami",
            "create {P} secret sasl:alice@" + KerberosKdc.Realm + ":cdrwa",
            "getAcl {P}",
            "get {P}",
            "delete {P}",
        ];
        var properties = ServerProperties();
        string flags = $"-Djava.security.auth.login.config={_jaas} -Djava.security.krb5.conf={_kdc!.ConfigFile}";
        await using var zkServer = new RealZooKeeper(properties);
        await zkServer.StartAsync();
        var zk = await ZkCli.RunAsync(zkServer, commands, jvmFlags: flags);
        Transcripts.AssertPinned("zkcli-gssapi.txt", zk, "zkCli/gssapi on real ZooKeeper");

        await using var gateway = new GatewayServer(properties);
        await gateway.StartAsync();
        var gw = await ZkCli.RunAsync(gateway, commands, jvmFlags: flags);
        Transcripts.AssertSame(zk.Transcript, gw, "zkCli/gssapi: the gateway transcript differs from real ZooKeeper's");
    }

    /// <summary>
    /// alice asks for a ticket to other/localhost (<c>zookeeper.sasl.client.username=other</c>), a service the KDC
    /// knows: with the Server section the server has no key for it; with CombinedServer its keytab has that key, but
    /// its principal is zookeeper/localhost, and 3.8.0 accepts tickets for its own principal only.
    /// </summary>
    [Theory]
    [InlineData("Server")]
    [InlineData("CombinedServer")]
    public async Task A_ticket_for_another_service_than_the_servers_principal_fails_as_on_real_zookeeper(string serverSection)
    {
        string flags = $"-Djava.security.auth.login.config={_jaas} -Djava.security.krb5.conf={_kdc!.ConfigFile} -Dzookeeper.sasl.client.username=other";
        var properties = ServerProperties([new("zookeeper.sasl.serverconfig", serverSection)]);
        await using var zkServer = new RealZooKeeper(properties);
        await zkServer.StartAsync();
        var zk = await ZkCli.RunAsync(zkServer, ["whoami"], jvmFlags: flags);
        await using var gateway = new GatewayServer(properties);
        await gateway.StartAsync();
        var gw = await ZkCli.RunAsync(gateway, ["whoami"], jvmFlags: flags);
        // 3.8.0 fails the exchange (AuthFailed) and closes: whoami shows no id at all, not sasl: alice.
        Assert.DoesNotContain(zk.Transcript, line => line.StartsWith("sasl:", StringComparison.Ordinal));
        Transcripts.AssertSame(zk.Transcript, gw, $"zkCli/gssapi, a ticket for other/localhost, {serverSection}: the gateway transcript differs from real ZooKeeper's");
    }

    /// <summary>
    /// The official Java client API (Scenario.java, <c>gssapi</c>): alice logs in from her keytab through JAAS
    /// Krb5LoginModule, creates a node with a <c>sasl:alice@ZKGW.TEST</c> ACL and reads it back; an
    /// unauthenticated client gets NoAuth; then an unknown principal, a stale client keytab and a ticket for the
    /// wrong service, each as ZooKeeper answers it, with <c>zookeeper.allowSaslFailedClients</c> off and on.
    /// </summary>
    [Theory]
    [InlineData("gssapi", false)]
    [InlineData("gssapi-allowfailed", true)]
    public async Task The_java_client_with_kerberos_gives_real_zookeepers_transcript(string scenario, bool allowFailed)
    {
        var properties = ServerProperties(allowFailed ? [new("zookeeper.allowSaslFailedClients", "true")] : []);
        await using var zkServer = new RealZooKeeper(properties);
        await zkServer.StartAsync();
        var zk = await ScenarioRunner.RunAsync(ClientKind.Java, scenario, zkServer, environment: ClientEnvironment());
        Assert.True(zk.ExitCode == 0, $"java/{scenario} against real ZooKeeper failed: {zk.Describe()}\n--- server ---\n{zkServer.Log}");
        var expected = ExpectedTranscript($"java-{scenario}.txt", zk);

        await using var gateway = new GatewayServer(properties);
        await gateway.StartAsync();
        var gw = await ScenarioRunner.RunAsync(ClientKind.Java, scenario, gateway, environment: ClientEnvironment());
        Transcripts.AssertSame(expected, gw, $"java/{scenario}: the gateway transcript differs from real ZooKeeper's\n--- gateway ---\n{gateway.Log}");
    }

    /// <summary>
    /// kazoo 2.8.0 with GSSAPI (python3-pure-sasl over python3-kerberos), alice's key from her keytab as MIT's
    /// client keytab: a sasl ACL on her principal, an anonymous client refused, a ticket for the wrong service.
    /// kazoo asks for <c>zookeeper@&lt;host&gt;</c> without canonicalising, so the servers are named localhost.
    /// </summary>
    [Fact]
    public async Task Kazoo_with_kerberos_gives_real_zookeepers_transcript()
    {
        var properties = ServerProperties();
        var env = new Dictionary<string, string>
        {
            ["KRB5_CONFIG"] = _kdc!.ConfigFile,
            ["KRB5_CLIENT_KTNAME"] = _kdc.Keytab("alice"),
            ["KRB5CCNAME"] = "MEMORY:kazoo",
        };
        await using var zkServer = new RealZooKeeper(properties);
        await zkServer.StartAsync();
        var zk = await ScenarioRunner.RunAsync(ClientKind.Python, "gssapi", zkServer, $"localhost:{zkServer.Port}", env);
        Assert.True(zk.ExitCode == 0, $"python/gssapi against real ZooKeeper failed: {zk.Describe()}\n--- server ---\n{zkServer.Log}");
        var expected = ExpectedTranscript("python-gssapi.txt", zk);

        await using var gateway = new GatewayServer(properties);
        await gateway.StartAsync();
        var gw = await ScenarioRunner.RunAsync(ClientKind.Python, "gssapi", gateway, $"localhost:{gateway.Port}", env);
        Transcripts.AssertSame(expected, gw, $"python/gssapi: the gateway transcript differs from real ZooKeeper's\n--- gateway ---\n{gateway.Log}");
    }

    /// <summary>
    /// The same Java scenario on the sidecar gateway over the AWS provider set (the emulators): the sasl ACL is
    /// stored by the functions in another process and enforced on the ids that come with each request.
    /// </summary>
    [Fact]
    public async Task The_java_client_with_kerberos_on_the_aws_gateway_gives_real_zookeepers_transcript()
    {
        await using var aws = new AwsGatewayServer(properties: ServerProperties());
        await aws.StartAsync();
        var result = await ScenarioRunner.RunAsync(ClientKind.Java, "gssapi", aws, environment: ClientEnvironment());
        var file = Path.Combine(RepoPaths.ExpectedDir, "java-gssapi.txt");
        Transcripts.AssertSame(File.ReadAllLines(file), result, $"java/gssapi: the AWS gateway's transcript differs from {file}\n--- gateway ---\n{aws.Log}");
    }

    /// <summary>
    /// A server whose keytab is one key version behind the KDC (zkrotated/localhost rotated with kadmin.local):
    /// with isInitiator=false both start, and alice's ticket, sealed with the new key, fails the exchange.
    /// </summary>
    [Fact]
    public async Task A_server_keytab_older_than_the_service_key_fails_the_exchange_as_on_real_zookeeper()
    {
        var properties = ServerProperties([new("zookeeper.sasl.serverconfig", "RotatedServer")]);
        await using var zkServer = new RealZooKeeper(properties);
        await zkServer.StartAsync();
        var zk = await ScenarioRunner.RunAsync(ClientKind.Java, "gssapi-rotated", zkServer, environment: ClientEnvironment());
        Assert.True(zk.ExitCode == 0, $"java/gssapi-rotated against real ZooKeeper failed: {zk.Describe()}\n--- server ---\n{zkServer.Log}");
        var expected = ExpectedTranscript("java-gssapi-rotated.txt", zk);

        await using var gateway = new GatewayServer(properties);
        await gateway.StartAsync();
        var gw = await ScenarioRunner.RunAsync(ClientKind.Java, "gssapi-rotated", gateway, environment: ClientEnvironment());
        Transcripts.AssertSame(expected, gw, $"java/gssapi-rotated: the gateway transcript differs from real ZooKeeper's\n--- gateway ---\n{gateway.Log}");
    }

    /// <summary>
    /// The same stale keytab without isInitiator=false: 3.8.0's Krb5LoginModule asks the KDC for the service's
    /// TGT at start-up (ServerCnxnFactory.configureSaslLogin), the KDC refuses the old key, and the server does
    /// not start. The gateway makes the same request at start-up and stops the same way.
    /// </summary>
    [Fact]
    public async Task A_server_that_cannot_log_in_with_its_stale_keytab_does_not_start_as_real_zookeeper()
    {
        var properties = ServerProperties([new("zookeeper.sasl.serverconfig", "RotatedServerInitiator")]);
        await using var zkServer = new RealZooKeeper(properties);
        const string refusal = "did not allow the  ZooKeeper server to authenticate itself properly"; // 3.8.0's double space
        var zk = await Assert.ThrowsAsync<InvalidOperationException>(zkServer.StartAsync);
        Assert.Contains(refusal, zk.Message);

        await using var gateway = new GatewayServer(properties);
        var gw = await Assert.ThrowsAsync<InvalidOperationException>(gateway.StartAsync);
        Assert.Contains("exited with code", gw.Message);
        Assert.Contains(refusal, gw.Message);
    }

    /// <summary>
    /// What the Java client does not show (it fails on its side either way): a GSS token the acceptor rejects is
    /// answered AuthFailed with a null token and the connection closed; with allowSaslFailedClients the answer is
    /// Ok with a null token and the session goes on, without a sasl id. Raw bytes, both servers.
    /// </summary>
    [Theory]
    [InlineData(TargetKind.ZooKeeper, false)]
    [InlineData(TargetKind.Gateway, false)]
    [InlineData(TargetKind.ZooKeeper, true)]
    [InlineData(TargetKind.Gateway, true)]
    public async Task A_rejected_kerberos_token_closes_the_connection_unless_failed_clients_are_allowed(TargetKind kind, bool allowFailed)
    {
        var properties = ServerProperties(allowFailed ? [new("zookeeper.allowSaslFailedClients", "true")] : []);
        await using ProcessZkTarget server = kind == TargetKind.ZooKeeper ? new RealZooKeeper(properties) : new GatewayServer(properties);
        await server.StartAsync();
        await using var client = await RawZkClient.ConnectAsync(server.Port);
        var reply = await client.SendAsync(OpCode.Sasl, new GetSASLRequest(Encoding.UTF8.GetBytes("not a GSS-API token")));
        Assert.Equal((allowFailed ? ErrorCode.Ok : ErrorCode.AuthFailed, 0L), (reply.Header.Err, reply.Header.Zxid));
        Assert.Null(new JuteReader(reply.Body).ReadBuffer());
        if (allowFailed)
        {
            Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync("/")).Header.Err);
        }
        else
        {
            await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>The keys both servers get: the JAAS file, the realm for Java, the sasl provider, and <paramref name="extra"/>.</summary>
    private KeyValuePair<string, string>[] ServerProperties(params KeyValuePair<string, string>[] extra) =>
    [
        new("java.security.auth.login.config", _jaas),
        new("java.security.krb5.conf", _kdc!.ConfigFile),
        new("zookeeper.authProvider.sasl", "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"),
        .. extra,
    ];

    /// <summary>What Scenario.java reads: the JAAS file with the client sections and the realm's krb5.conf.</summary>
    private Dictionary<string, string> ClientEnvironment() => new()
    {
        ["ZKGW_JAAS"] = _jaas,
        ["ZKGW_KRB5_CONF"] = _kdc!.ConfigFile,
    };

    /// <summary>The committed transcript real ZooKeeper gave (rewritten with COMPAT_WRITE_EXPECTED=1), checked against this run's.</summary>
    private static string[] ExpectedTranscript(string name, ScenarioResult zk) => Transcripts.AssertPinned(name, zk, "real ZooKeeper");
}
