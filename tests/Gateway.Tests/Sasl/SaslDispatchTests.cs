using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Sasl;
using ZkGateway.Gateway.Tests.Support;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Tests.Sasl;

/// <summary>
/// Op 102 through the dispatcher, for the settings the compat scenarios do not start servers for: no
/// JAAS file, allowSaslFailedClients, and the sasl provider left out (whoAmI then shows no user).
/// </summary>
public sealed class SaslDispatchTests : IAsyncLifetime, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zkgw-sasl-").FullName;
    private readonly ConnectionRegistry _registry = new();
    private readonly ListLogger<SaslDispatchTests> _logger = new();
    private RequestDispatcher _dispatcher = null!;
    private ZkConnection _connection = null!;
    private PipeClient _client = null!;
    private Task _writer = Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _connection?.Outbound.Abort();
        await _writer;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Start(params string[] args)
    {
        var jaas = Path.Combine(_dir, "jaas.conf");
        File.WriteAllText(jaas, "Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob=\"pw\"; };");
        var options = ZooCfg.Parse([.. args.Select(a => a.Replace("JAAS", jaas, StringComparison.Ordinal))]);
        _dispatcher = new RequestDispatcher(new FakeBackend(_registry), options, _logger);
        var (transport, application) = DuplexPipe.CreateConnectionPair();
        _connection = new ZkConnection(_registry.NextConnectionId(), new TestConnectionContext(transport, application), _logger) { SessionId = 0x1234 };
        _client = new PipeClient(application);
        _writer = _connection.Outbound.RunAsync(transport.Output, CancellationToken.None);
    }

    private async Task<(RequestDispatcher.Next Next, ErrorCode Error, string? Token)> SaslAsync(int xid, byte[]? token)
    {
        var frame = PipeClient.RequestFrame(xid, OpCode.Sasl, new Token(token));
        var next = _dispatcher.Dispatch(_connection, new RequestHeader(xid, OpCode.Sasl), frame.AsSpan(4 + 8));
        var reply = await _client.ReadReplyAsync();
        Assert.Equal((xid, 0L), (reply.Header.Xid, reply.Header.Zxid));
        var reader = new JuteReader(reply.Body);
        var body = reader.ReadBuffer();
        return (next, reply.Header.Err, body is null ? null : Encoding.UTF8.GetString(body));
    }

    /// <summary>The digest-response for user bob with <paramref name="password"/>, by RFC 2831.</summary>
    private static byte[] Response(string challenge, string password)
    {
        string nonce = Regex.Match(challenge, "nonce=\"([^\"]+)\"").Groups[1].Value;
        static string H(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));
        byte[] secret = MD5.HashData(Encoding.UTF8.GetBytes($"bob:zk-sasl-md5:{password}"));
        string ha1 = H([.. secret, .. Encoding.UTF8.GetBytes($":{nonce}:cn")]);
        string response = H(Encoding.UTF8.GetBytes($"{ha1}:{nonce}:00000001:cn:auth:{H("AUTHENTICATE:zookeeper/zk-sasl-md5"u8.ToArray())}"));
        return Encoding.UTF8.GetBytes($"username=\"bob\",realm=\"zk-sasl-md5\",nonce=\"{nonce}\",nc=00000001,cnonce=\"cn\",digest-uri=\"zookeeper/zk-sasl-md5\",response={response},qop=auth");
    }

    [Fact]
    public async Task Without_a_jaas_server_section_any_token_gets_ok_and_a_null_token()
    {
        Start();
        Assert.Equal((RequestDispatcher.Next.Continue, ErrorCode.Ok, (string?)null), await SaslAsync(1, "anything"u8.ToArray()));
        Assert.DoesNotContain(_connection.Caller.Ids, id => id.Scheme == "sasl");
    }

    [Fact]
    public async Task Allow_sasl_failed_clients_keeps_the_connection_with_ok_and_a_null_token()
    {
        Start("--java.security.auth.login.config=JAAS", "--zookeeper.allowSaslFailedClients=true");
        var (_, _, challenge) = await SaslAsync(1, []);
        Assert.Equal((RequestDispatcher.Next.Continue, ErrorCode.Ok, (string?)null), await SaslAsync(2, Response(challenge!, "wrong")));
        Assert.DoesNotContain(_connection.Caller.Ids, id => id.Scheme == "sasl");
    }

    [Fact]
    public async Task Without_allow_a_failure_is_auth_failed_and_closes()
    {
        Start("--java.security.auth.login.config=JAAS");
        var (_, _, challenge) = await SaslAsync(1, []);
        Assert.Equal((RequestDispatcher.Next.Close, ErrorCode.AuthFailed, (string?)null), await SaslAsync(2, Response(challenge!, "wrong")));
    }

    [Theory]
    [InlineData(true, "bob")]
    [InlineData(false, "")]
    public async Task Success_adds_the_sasl_id_and_super_for_a_super_user_whoami_shows_it_with_the_provider(bool provider, string user)
    {
        Start([.. new[] { "--java.security.auth.login.config=JAAS", "--superUser=bob" }, .. provider ? ["--authProvider.1=" + SaslSettings.ProviderClass] : Array.Empty<string>()]);
        var (_, _, challenge) = await SaslAsync(1, []);
        var (next, error, token) = await SaslAsync(2, Response(challenge!, "pw"));
        Assert.Equal((RequestDispatcher.Next.Continue, ErrorCode.Ok), (next, error));
        Assert.StartsWith("rspauth=", token, StringComparison.Ordinal);
        Assert.Contains(new Id("sasl", "bob"), _connection.Caller.Ids);
        Assert.True(_connection.Caller.IsSuper);
        var whoAmI = DigestAuth.WhoAmI(_connection.Caller, provider);
        Assert.Equal(user, whoAmI.ClientInfo!.Single(c => c.AuthScheme == "sasl").User);
    }

    private sealed class Token(byte[]? token) : IJuteRecord
    {
        public void Write(ref JuteWriter writer) => writer.WriteBuffer(token);
    }
}
