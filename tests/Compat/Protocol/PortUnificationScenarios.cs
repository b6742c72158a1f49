using System.Net;
using System.Net.Sockets;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// <c>client.portUnification</c> (issue 12): TLS and plaintext clients on the one client port, against real
/// ZooKeeper 3.8.0 (NettyServerCnxnFactory's DualModeSslHandler) and the gateway configured the same way
/// (<see cref="PortUnificationFixture"/>). The Java client and kazoo, over TLS and in plaintext, share the tree; the
/// TLS one is authenticated by its certificate, the plaintext one is not. Four-letter words
/// are answered both ways. A plaintext ConnectRequest gets its ConnectResponse.
/// </summary>
[Collection(PortUnificationCollection.Name)]
public sealed class PortUnificationScenarios(PortUnificationFixture targets)
{
    public static TheoryData<ClientKind> Clients() => new() { ClientKind.Java, ClientKind.Python };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Official_clients_over_tls_and_plaintext_on_one_port_give_real_zookeepers_transcript(ClientKind client)
    {
        var env = new Dictionary<string, string> { ["ZKGW_TLS_DIR"] = await TlsCertificates.DirectoryAsync() };
        var zk = await targets.GetAsync(TargetKind.ZooKeeper);
        var zkResult = await ScenarioRunner.RunAsync(client, "tls-unified", zk, zk.ConnectString, env);
        Assert.True(zkResult.ExitCode == 0, $"{client}/tls-unified against real ZooKeeper failed: {zkResult.Describe()}\n--- server ---\n{Tail(zk.Log)}");
        Transcripts.AssertPinned($"{client.ToString().ToLowerInvariant()}-tls-unified.txt", zkResult, $"{client}/tls-unified on real ZooKeeper");

        var gw = await targets.GetAsync(TargetKind.Gateway);
        var gwResult = await ScenarioRunner.RunAsync(client, "tls-unified", gw, gw.ConnectString, env);
        Transcripts.AssertSame(zkResult.Transcript, gwResult, $"{client}/tls-unified: the gateway transcript differs from real ZooKeeper's\n--- gateway ---\n{Tail(gw.Log)}");
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Four_letter_words_are_answered_in_plaintext_and_over_tls_on_the_unified_port(TargetKind kind)
    {
        var target = await targets.GetAsync(kind);
        var dir = await TlsCertificates.DirectoryAsync();
        Assert.Equal("imok", await TlsWire.PlaintextFourLetterAsync(target.Port, "ruok"));
        Assert.Equal("imok", await TlsWire.FourLetterAsync(target.Port, "ruok", Path.Combine(dir, "client.p12")));
        // conf in plaintext: four bytes, the first not 22, so plaintext without waiting for a fifth.
        Assert.Contains($"clientPort={target.Port}\n", await TlsWire.PlaintextFourLetterAsync(target.Port, "conf"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task A_plaintext_connect_request_on_the_unified_port_gets_a_connect_response(TargetKind kind)
    {
        var target = await targets.GetAsync(kind);
        using var c = new TcpClient();
        await c.ConnectAsync(IPAddress.Loopback, target.Port);
        var s = c.GetStream();
        // A 3.8 ConnectRequest: protocolVersion 0, lastZxidSeen 0, timeOut 10000, sessionId 0, a 16-byte password, readOnly false.
        var frame = new byte[] { 0, 0, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x27, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16 }
            .Concat(new byte[16]).Concat(new byte[] { 0 }).ToArray();
        await s.WriteAsync(frame);
        var head = new byte[8];
        await s.ReadExactlyAsync(head);
        // The response's length (4 bytes, 36 or 37 with readOnly), then protocolVersion 0.
        Assert.Equal(new byte[] { 0, 0, 0 }, head[..3]);
        Assert.Contains(head[3], new byte[] { 36, 37 });
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, head[4..]);
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : "..." + log[^6000..];
}
