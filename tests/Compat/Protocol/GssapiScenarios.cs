using ZkGateway.Compat.Infrastructure;

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
        await File.WriteAllTextAsync(_jaas, $$"""
            Server {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("server")}}" principal="{{KerberosKdc.ServicePrincipal}}";
            };
            Client {
                com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false
                keyTab="{{_kdc.Keytab("alice")}}" principal="alice@{{KerberosKdc.Realm}}";
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
        KeyValuePair<string, string>[] properties =
        [
            new("java.security.auth.login.config", _jaas),
            new("java.security.krb5.conf", _kdc!.ConfigFile),
            new("zookeeper.authProvider.sasl", "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"),
        ];
        string flags = $"-Djava.security.auth.login.config={_jaas} -Djava.security.krb5.conf={_kdc.ConfigFile}";
        await using var zkServer = new RealZooKeeper(properties);
        await zkServer.StartAsync();
        var zk = await ZkCli.RunAsync(zkServer, commands, jvmFlags: flags);
        var file = Path.Combine(RepoPaths.ExpectedDir, "zkcli-gssapi.txt");
        if (Environment.GetEnvironmentVariable("COMPAT_WRITE_EXPECTED") == "1")
        {
            File.WriteAllLines(file, zk.Transcript);
        }
        Transcripts.AssertSame(File.ReadAllLines(file), zk, $"zkCli/gssapi: real ZooKeeper's transcript differs from {file}");

        await using var gateway = new GatewayServer(properties);
        await gateway.StartAsync();
        var gw = await ZkCli.RunAsync(gateway, commands, jvmFlags: flags);
        Transcripts.AssertSame(zk.Transcript, gw, "zkCli/gssapi: the gateway transcript differs from real ZooKeeper's");
    }

    [Fact]
    public async Task A_ticket_for_a_service_the_server_has_no_key_for_fails_as_on_real_zookeeper()
    {
        // zookeeper.sasl.client.username=other: the client asks for other/localhost, which the KDC knows and the server's keytab lacks.
        string flags = $"-Djava.security.auth.login.config={_jaas} -Djava.security.krb5.conf={_kdc!.ConfigFile} -Dzookeeper.sasl.client.username=other";
        KeyValuePair<string, string>[] properties =
        [
            new("java.security.auth.login.config", _jaas),
            new("java.security.krb5.conf", _kdc.ConfigFile),
            new("zookeeper.authProvider.sasl", "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"),
        ];
        await using var zkServer = new RealZooKeeper(properties);
        await zkServer.StartAsync();
        var zk = await ZkCli.RunAsync(zkServer, ["whoami"], jvmFlags: flags);
        await using var gateway = new GatewayServer(properties);
        await gateway.StartAsync();
        var gw = await ZkCli.RunAsync(gateway, ["whoami"], jvmFlags: flags);
        // 3.8.0 fails the exchange (AuthFailed) and closes: whoami shows no id at all, not sasl: alice.
        Assert.DoesNotContain(zk.Transcript, line => line.StartsWith("sasl:", StringComparison.Ordinal));
        Transcripts.AssertSame(zk.Transcript, gw, "zkCli/gssapi, unknown service key: the gateway transcript differs from real ZooKeeper's");
    }
}
