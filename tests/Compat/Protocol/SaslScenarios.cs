using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// SASL DIGEST-MD5 (issue 12, SASL part), the same scenario against real ZooKeeper 3.8.0 and the gateway
/// configured the same way (<see cref="SaslFixture"/>: one JAAS file, the sasl provider, a superUser):
/// the official Java client with JAAS Client sections authenticates, whoAmI shows <c>sasl:bob</c>, a sasl
/// ACL lets bob in and keeps an anonymous session out, <c>auth</c> expands to the sasl id, the super user
/// reads everything, a wrong password and an unknown user get AuthFailed; with enforce.auth (schemes sasl)
/// an unauthenticated or digest-only session is refused. kazoo with pure-sasl does the same from Python.
/// </summary>
[Collection(SaslCollection.Name)]
public sealed class SaslScenarios(SaslFixture targets)
{
    public static TheoryData<ClientKind, string> Runs() => new()
    {
        { ClientKind.Java, "sasl" },
        { ClientKind.Java, "sasl-enforced" },
        // Not kazoo with enforce.auth: kazoo 2.8.0 does not know error -124 (SessionClosedRequireSaslAuth),
        // and its connection thread dies with "RuntimeError: Invalid error code" against ZooKeeper too.
        { ClientKind.Python, "sasl" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task Official_clients_with_sasl_give_real_zookeepers_transcript(ClientKind client, string scenario)
    {
        bool enforced = scenario == "sasl-enforced";
        var env = new Dictionary<string, string> { ["ZKGW_JAAS"] = SaslFixture.JaasFile };
        var zk = await targets.GetAsync(TargetKind.ZooKeeper, enforced);
        var zkResult = await ScenarioRunner.RunAsync(client, scenario, zk, environment: env);
        Assert.True(zkResult.ExitCode == 0, $"{client}/{scenario} against real ZooKeeper failed: {zkResult.Describe()}\n--- server ---\n{Tail(zk.Log)}");
        Transcripts.AssertPinned($"{client.ToString().ToLowerInvariant()}-{scenario}.txt", zkResult, $"{client}/{scenario} on real ZooKeeper");

        var gw = await targets.GetAsync(TargetKind.Gateway, enforced);
        var gwResult = await ScenarioRunner.RunAsync(client, scenario, gw, environment: env);
        Transcripts.AssertSame(zkResult.Transcript, gwResult, $"{client}/{scenario}: the gateway transcript differs from real ZooKeeper's\n--- gateway ---\n{Tail(gw.Log)}");
    }

    /// <summary>
    /// The Java client's transcripts on the sidecar gateway over the AWS provider set (the emulators): the
    /// functions, in another process, apply the sasl ACLs and the expansion of <c>auth</c> to the ids that
    /// come with each request, as they do for digest ids.
    /// </summary>
    [Theory]
    [InlineData("sasl")]
    [InlineData("sasl-enforced")]
    public async Task The_java_client_with_sasl_on_the_aws_gateway_gives_real_zookeepers_transcript(string scenario)
    {
        var file = Path.Combine(RepoPaths.ExpectedDir, $"java-{scenario}.txt");
        var env = new Dictionary<string, string> { ["ZKGW_JAAS"] = SaslFixture.JaasFile };
        var aws = await targets.GetAsync(TargetKind.AwsGateway, scenario == "sasl-enforced");
        var result = await ScenarioRunner.RunAsync(ClientKind.Java, scenario, aws, environment: env);
        Transcripts.AssertSame(File.ReadAllLines(file), result, $"java/{scenario}: the AWS gateway's transcript differs from {file}\n--- gateway ---\n{Tail(aws.Log)}");
    }

    /// <summary>
    /// zkCli.sh with the JAAS file's Client section (bob): its commands wait for SASL, whoami shows the sasl
    /// id, a sasl ACL is set and obeyed; the same transcript from real ZooKeeper and the gateway.
    /// </summary>
    [Fact]
    public async Task ZkCli_with_a_jaas_client_section_gives_real_zookeepers_transcript()
    {
        string[] commands =
        [
            "whoami",
            "create {P} secret sasl:bob:cdrwa",
            "getAcl {P}",
            "get {P}",
            "setAcl {P} sasl:a@b@c:r",
            "delete {P}",
        ];
        string flags = "-Djava.security.auth.login.config=" + SaslFixture.JaasFile;
        var zk = await ZkCli.RunAsync(await targets.GetAsync(TargetKind.ZooKeeper, false), commands, jvmFlags: flags);
        Transcripts.AssertPinned("zkcli-sasl.txt", zk, "zkCli/sasl on real ZooKeeper");
        var gw = await ZkCli.RunAsync(await targets.GetAsync(TargetKind.Gateway, false), commands, jvmFlags: flags);
        Transcripts.AssertSame(zk.Transcript, gw, "zkCli/sasl: the gateway transcript differs from real ZooKeeper's");
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper, false)]
    [InlineData(TargetKind.Gateway, false)]
    [InlineData(TargetKind.ZooKeeper, true)]
    [InlineData(TargetKind.Gateway, true)]
    public async Task The_digest_md5_exchange_answers_rspauth_and_a_wrong_password_is_refused_and_closed(TargetKind kind, bool enforced)
    {
        var server = await targets.GetAsync(kind, enforced);
        await using (var client = await RawZkClient.ConnectAsync(server.Port))
        {
            string nonce = await ChallengeAsync(client);
            const string cnonce = "c0ffee", uri = "zookeeper/zk-sasl-md5";
            var (response, rspauth) = ClientDigest("bob", "zk-sasl-md5", "bob-secret", nonce, cnonce, uri);
            var reply = await client.SendAsync(OpCode.Sasl, new SaslRequest(Encoding.UTF8.GetBytes(
                $"charset=utf-8,username=\"bob\",realm=\"zk-sasl-md5\",nonce=\"{nonce}\",nc=00000001,cnonce=\"{cnonce}\",digest-uri=\"{uri}\",maxbuf=65536,response={response},qop=auth")));
            Assert.Equal((ErrorCode.Ok, 0L), (reply.Header.Err, reply.Header.Zxid));
            // Computed here from RFC 2831: the server's rspauth proves it knows the password too.
            Assert.Equal("rspauth=" + rspauth, Encoding.UTF8.GetString(Token(reply)!));
            Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync("/")).Header.Err);
        }
        await using (var wrong = await RawZkClient.ConnectAsync(server.Port))
        {
            string nonce = await ChallengeAsync(wrong);
            var (response, _) = ClientDigest("bob", "zk-sasl-md5", "not-bobs", nonce, "c0ffee", "zookeeper/zk-sasl-md5");
            var reply = await wrong.SendAsync(OpCode.Sasl, new SaslRequest(Encoding.UTF8.GetBytes(
                $"charset=utf-8,username=\"bob\",realm=\"zk-sasl-md5\",nonce=\"{nonce}\",nc=00000001,cnonce=\"c0ffee\",digest-uri=\"zookeeper/zk-sasl-md5\",maxbuf=65536,response={response},qop=auth")));
            // processSasl: AuthFailed, or SessionClosedRequireSaslAuth when SASL is required; zxid 0, a null token, then closed.
            Assert.Equal((enforced ? ErrorCode.SessionClosedRequireSaslAuth : ErrorCode.AuthFailed, 0L), (reply.Header.Err, reply.Header.Zxid));
            Assert.Null(Token(reply));
            await wrong.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task With_enforce_auth_a_request_before_sasl_is_refused_and_closed(TargetKind kind)
    {
        var server = await targets.GetAsync(kind, enforced: true);
        await using var client = await RawZkClient.ConnectAsync(server.Port);
        var reply = await client.GetDataAsync("/");
        Assert.Equal((ErrorCode.SessionClosedRequireSaslAuth, 0L), (reply.Header.Err, reply.Header.Zxid));
        Assert.Empty(reply.Body);
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task A_sasl_request_without_its_token_closes_the_connection_unanswered(TargetKind kind)
    {
        var server = await targets.GetAsync(kind, enforced: false);
        await using var client = await RawZkClient.ConnectAsync(server.Port);
        Assert.Equal(ErrorCode.Ok, (await client.PingAsync()).Error);
        await Assert.ThrowsAsync<IOException>(() => client.SendAsync(OpCode.Sasl, null));
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends the empty first token and checks the challenge's shape; returns its nonce.</summary>
    private static async Task<string> ChallengeAsync(RawZkClient client)
    {
        var reply = await client.SendAsync(OpCode.Sasl, new SaslRequest([]));
        Assert.Equal((ErrorCode.Ok, 0L), (reply.Header.Err, reply.Header.Zxid));
        string challenge = Encoding.UTF8.GetString(Token(reply)!);
        var m = Regex.Match(challenge, "^realm=\"zk-sasl-md5\",nonce=\"([A-Za-z0-9+/]{40})\",charset=utf-8,algorithm=md5-sess$");
        Assert.True(m.Success, $"unexpected challenge: {challenge}");
        return m.Groups[1].Value;
    }

    private static byte[]? Token(RawReply reply)
    {
        var reader = new JuteReader(reply.Body);
        return reader.ReadBuffer();
    }

    /// <summary>RFC 2831's response and rspauth values for qop=auth, md5-sess, no authzid.</summary>
    private static (string Response, string RspAuth) ClientDigest(string user, string realm, string password, string nonce, string cnonce, string uri)
    {
        static string H(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));
        byte[] secret = MD5.HashData(Encoding.UTF8.GetBytes($"{user}:{realm}:{password}"));
        string ha1 = H([.. secret, .. Encoding.UTF8.GetBytes($":{nonce}:{cnonce}")]);
        string Kd(string a2) => H(Encoding.UTF8.GetBytes($"{ha1}:{nonce}:00000001:{cnonce}:auth:{H(Encoding.UTF8.GetBytes(a2))}"));
        return (Kd("AUTHENTICATE:" + uri), Kd(":" + uri));
    }

    /// <summary>GetSASLRequest{buffer token}.</summary>
    private sealed class SaslRequest(byte[] token) : IJuteRecord
    {
        public void Write(ref JuteWriter writer) => writer.WriteBuffer(token);
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : "..." + log[^6000..];
}
