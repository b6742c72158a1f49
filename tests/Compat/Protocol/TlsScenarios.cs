using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// TLS client connections and x509 authentication (issue 12, first increment), the same scenario against
/// real ZooKeeper 3.8.0 (NettyServerCnxnFactory) and the gateway configured the same way
/// (<see cref="TlsFixture"/>): the official Java client (ClientCnxnSocketNetty, zookeeper.client.secure)
/// and kazoo (use_ssl) connect with client certificates, an x509 ACL lets the same certificate read and
/// not another, whoAmI and getACL show the ids, the super user reads everything, an untrusted certificate
/// and a plaintext client are refused; at the byte level, four-letter words over TLS and a plaintext
/// ConnectRequest on the secure port.
/// </summary>
[Collection(TlsCollection.Name)]
public sealed class TlsScenarios(TlsFixture targets)
{
    public static TheoryData<ClientKind> Clients() => new() { ClientKind.Java, ClientKind.Python, ClientKind.Go };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Official_clients_over_tls_give_real_zookeepers_transcript(ClientKind client)
    {
        var dir = await TlsCertificates.DirectoryAsync();
        var env = new Dictionary<string, string> { ["ZKGW_TLS_DIR"] = dir };
        var (zk, zkPort) = await targets.GetAsync(TargetKind.ZooKeeper);
        var zkResult = await ScenarioRunner.RunAsync(client, "tls", zk, $"127.0.0.1:{zkPort}", env);
        Assert.True(zkResult.ExitCode == 0, $"{client}/tls against real ZooKeeper failed: {zkResult.Describe()}\n--- server ---\n{Tail(zk.Log)}");
        Transcripts.AssertPinned($"{client.ToString().ToLowerInvariant()}-tls.txt", zkResult, $"{client}/tls on real ZooKeeper");

        var (gw, gwPort) = await targets.GetAsync(TargetKind.Gateway);
        var gwResult = await ScenarioRunner.RunAsync(client, "tls", gw, $"127.0.0.1:{gwPort}", env);
        Transcripts.AssertSame(zkResult.Transcript, gwResult, $"{client}/tls: the gateway transcript differs from real ZooKeeper's\n--- gateway ---\n{Tail(gw.Log)}");
    }

    [Fact]
    public async Task ZkCli_over_tls_gives_real_zookeepers_transcript()
    {
        var dir = await TlsCertificates.DirectoryAsync();
        // The client keys go in CLIENT_JVMFLAGS, as ZooKeeper's admin guide has it for zkCli.sh; the CLI is
        // started as zkCli.sh starts it, with the two Netty jars Debian's class path lacks (ZkCli.TlsCapableLauncher).
        var env = new Dictionary<string, string>
        {
            ["CLIENT_JVMFLAGS"] = string.Join(' ',
                "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty", "-Dzookeeper.client.secure=true",
                $"-Dzookeeper.ssl.keyStore.location={dir}/client.p12", $"-Dzookeeper.ssl.keyStore.password={TlsCertificates.Password}",
                $"-Dzookeeper.ssl.trustStore.location={dir}/ca.pem", "-Dzookeeper.ssl.trustStore.type=PEM"),
        };
        string[] commands = ["create {P} x", "whoami", "get {P}", "delete {P}", "ls {P}"];
        var (zk, zkPort) = await targets.GetAsync(TargetKind.ZooKeeper);
        var zkResult = await ZkCli.RunAsync(zk, commands, connectString: $"127.0.0.1:{zkPort}", environment: env, launcher: ZkCli.TlsCapableLauncher);
        Transcripts.AssertPinned("zkcli-tls.txt", zkResult, "zkCli.sh over TLS on real ZooKeeper");

        var (gw, gwPort) = await targets.GetAsync(TargetKind.Gateway);
        var gwResult = await ZkCli.RunAsync(gw, commands, connectString: $"127.0.0.1:{gwPort}", environment: env, launcher: ZkCli.TlsCapableLauncher);
        Transcripts.AssertSame(zkResult.Transcript, gwResult, "zkCli.sh over TLS: the gateway's transcript differs from real ZooKeeper's");
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Four_letter_words_are_answered_over_tls_and_conf_reports_the_secure_port(TargetKind kind)
    {
        var (_, port) = await targets.GetAsync(kind);
        var dir = await TlsCertificates.DirectoryAsync();
        Assert.Equal("imok", await TlsWire.FourLetterAsync(port, "ruok", Path.Combine(dir, "client.p12")));
        var conf = await TlsWire.FourLetterAsync(port, "conf", Path.Combine(dir, "client.p12"));
        Assert.Contains($"secureClientPort={port}\n", conf, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task An_untrusted_client_certificate_fails_the_handshake(TargetKind kind)
    {
        var (_, port) = await targets.GetAsync(kind);
        var dir = await TlsCertificates.DirectoryAsync();
        // Same subject as the trusted client, another CA: the handshake fails, or the server closes
        // right after it (TLS 1.3 sends the client's verdict after the client has finished).
        string? answer;
        try
        {
            answer = await TlsWire.FourLetterAsync(port, "ruok", Path.Combine(dir, "rogue.p12"));
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            answer = null;
        }
        Assert.True(string.IsNullOrEmpty(answer), $"the server answered an untrusted client: {answer}");
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task A_plaintext_connect_request_on_the_secure_port_is_closed_without_a_reply(TargetKind kind)
    {
        var (_, port) = await targets.GetAsync(kind);
        using var c = new TcpClient();
        await c.ConnectAsync(IPAddress.Loopback, port);
        var s = c.GetStream();
        // A 3.8 ConnectRequest: protocolVersion 0, lastZxidSeen 0, timeOut 10000, sessionId 0, a 16-byte password, readOnly false.
        var frame = new byte[] { 0, 0, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x27, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16 }
            .Concat(new byte[16]).Concat(new byte[] { 0 }).ToArray();
        await s.WriteAsync(frame);
        var read = await TlsWire.ReadAllAsync(s);
        // Netty answers nothing (NotSslRecordException); Kestrel may send a TLS alert record (type 21)
        // before closing. Neither is a ConnectResponse, whose first bytes are its length, 0 0 0 36/37.
        Assert.True(read.Length == 0 || read[0] == 21, $"the secure port answered a plaintext ConnectRequest: {Convert.ToHexString(read)}");
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : "..." + log[^6000..];
}
