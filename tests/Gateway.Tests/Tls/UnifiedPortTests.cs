using System.Text;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Tests.Support;
using ZkGateway.Gateway.Tls;

namespace ZkGateway.Gateway.Tests.Tls;

public sealed class TlsRecordSnifferTests
{
    [Theory]
    // A TLS 1.2 ClientHello record header: handshake (22), version 3.1, length 0x00c8.
    [InlineData("16030100c8", TlsRecordSniffer.Verdict.Tls)]
    // An alert record (21) and application data (23) are TLS records too.
    [InlineData("1503030002", TlsRecordSniffer.Verdict.Tls)]
    [InlineData("1703030010", TlsRecordSniffer.Verdict.Tls)]
    // A handshake record with an empty payload is not TLS (Netty: length must exceed the header).
    [InlineData("1603010000", TlsRecordSniffer.Verdict.Plaintext)]
    // An SSLv2 ClientHello: 2-byte header with the high bit set, message type 1, version 3.1.
    [InlineData("80460103010000", TlsRecordSniffer.Verdict.Tls)]
    // A ZooKeeper ConnectRequest: length 45, protocolVersion 0.
    [InlineData("0000002d00000000", TlsRecordSniffer.Verdict.Plaintext)]
    // Fewer than five bytes: plaintext unless the first is 22.
    [InlineData("00", TlsRecordSniffer.Verdict.Plaintext)]
    [InlineData("16", TlsRecordSniffer.Verdict.NeedMore)]
    [InlineData("160301", TlsRecordSniffer.Verdict.NeedMore)]
    [InlineData("", TlsRecordSniffer.Verdict.NeedMore)]
    public void The_first_bytes_decide_as_nettys_dual_mode_handler(string hex, TlsRecordSniffer.Verdict expected)
    {
        Assert.Equal(expected, TlsRecordSniffer.Classify(Convert.FromHexString(hex).AsSpan()));
    }

    [Theory]
    [InlineData("ruok")]
    [InlineData("srvr")]
    [InlineData("stat\n")]
    [InlineData("r")]
    public void Four_letter_words_are_plaintext_from_their_first_byte(string word)
    {
        Assert.Equal(TlsRecordSniffer.Verdict.Plaintext, TlsRecordSniffer.Classify(Encoding.ASCII.GetBytes(word).AsSpan()));
    }

    [Fact]
    public void A_header_split_across_segments_is_read_whole()
    {
        var first = new Segment(Convert.FromHexString("1603"));
        var last = first.Append(Convert.FromHexString("0100c8ff"));
        Assert.Equal(TlsRecordSniffer.Verdict.Tls, TlsRecordSniffer.Classify(new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length)));
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}

public sealed class PortUnificationConfigurationTests
{
    [Theory]
    [InlineData("--client.portUnification=true", true)]
    [InlineData("--zookeeper.client.portUnification=TRUE", true)]
    // Java's Boolean.getBoolean: anything but "true" is false, not an error.
    [InlineData("--zookeeper.client.portUnification=yes", false)]
    [InlineData("--clientPort=2181", false)]
    public void The_key_is_read_as_javas_boolean_getBoolean(string arg, bool expected)
    {
        var o = ZooCfg.Parse(["--clientPort=2181", "--ssl.keyStore.location=/k.p12", "--ssl.trustStore.location=/t.pem", arg]);
        Assert.Equal(expected, o.PortUnification);
        Assert.Equal(-1, o.SecureClientPort);
    }

    [Fact]
    public void Port_unification_needs_the_key_store_as_the_secure_port_does()
    {
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--clientPort=2181", "--client.portUnification=true"]));
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--clientPort=2181", "--client.portUnification=true", "--ssl.keyStore.location=/k.p12"]));
    }
}

/// <summary>A gateway with client.portUnification, in process: what the sniffer does with silent and undecided connections.</summary>
public sealed class UnifiedPortHostTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zkgw-unified-").FullName;
    private Microsoft.AspNetCore.Builder.WebApplication _app = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var server = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string store = Path.Combine(_dir, "server.pem");
        File.WriteAllText(store, key.ExportPkcs8PrivateKeyPem() + "\n" + server.ExportCertificatePem());
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        _app = GatewayHost.Build(ZooCfg.Parse([TestArguments.NoAdmin, $"--clientPort={_port}", $"--dataDir={Path.Combine(_dir, "data")}", "--client.portUnification=true",
            "--ssl.keyStore.location=" + store, "--ssl.clientAuth=none", "--handshakeTimeoutMs=300", "--4lw.commands.whitelist=*"]));
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Sends <paramref name="first"/> and reads until the server closes; the read itself is bounded so a hang fails.</summary>
    private async Task<byte[]> SendAndReadToCloseAsync(byte[] first)
    {
        using var c = new System.Net.Sockets.TcpClient();
        await c.ConnectAsync(System.Net.IPAddress.Loopback, _port);
        var s = c.GetStream();
        await s.WriteAsync(first);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new MemoryStream();
        var buffer = new byte[256];
        try
        {
            int n;
            while ((n = await s.ReadAsync(buffer, bound.Token)) > 0)
            {
                answer.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // reset: closed
        }
        return answer.ToArray();
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_is_closed_after_handshakeTimeoutMs()
    {
        Assert.Empty(await SendAndReadToCloseAsync([]));
    }

    [Fact]
    public async Task A_lone_tls_record_type_byte_waits_for_more_and_is_closed_when_nothing_follows()
    {
        Assert.Empty(await SendAndReadToCloseAsync([22]));
    }

    [Fact]
    public async Task A_four_letter_word_is_answered_in_plaintext()
    {
        Assert.Equal("imok", Encoding.ASCII.GetString(await SendAndReadToCloseAsync(Encoding.ASCII.GetBytes("ruok"))));
    }
}
