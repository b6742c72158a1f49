using System.Security.Cryptography;
using System.Text;
using ZkGateway.Gateway.Sasl;

namespace ZkGateway.Gateway.Tests.Sasl;

public sealed class DigestMd5ServerTests
{
    // RFC 2831 section 4's example: user chris, password secret, service imap on elwood.innosoft.com.
    private const string RfcNonce = "OA6MG9tEQGm2hh";
    private const string RfcResponse =
        "charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",nc=00000001,"
        + "cnonce=\"OA6MHXh6VqTrRk\",digest-uri=\"imap/elwood.innosoft.com\",response=d388dad90d4bbd760a152321f2143af7,qop=auth";

    private static DigestMd5Server RfcServer(string password = "secret") =>
        new("imap", "elwood.innosoft.com", user => user == "chris" ? password : null, RfcNonce);

    private static string Text(byte[] token) => Encoding.UTF8.GetString(token);

    [Fact]
    public void The_rfc_2831_example_is_accepted_and_answered_with_its_rspauth()
    {
        var server = RfcServer();
        Assert.Equal("realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",charset=utf-8,algorithm=md5-sess", Text(server.EvaluateResponse([])));
        Assert.False(server.IsComplete);
        Assert.Equal("rspauth=ea40f60335c427b5527b84dbabcdfffd", Text(server.EvaluateResponse(Encoding.UTF8.GetBytes(RfcResponse))));
        Assert.True(server.IsComplete);
        Assert.Equal("chris", server.AuthenticationId);
        Assert.Equal("chris", server.AuthorizationId);
    }

    [Fact]
    public void A_wrong_password_fails()
    {
        var server = RfcServer("not-secret");
        server.EvaluateResponse([]);
        Assert.Throws<SaslFailedException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes(RfcResponse)));
        Assert.False(server.IsComplete);
    }

    [Theory]
    [InlineData("nonce=\"OA6MG9tEQGm2hh\"", "nonce=\"other\"")]
    [InlineData("nc=00000001", "nc=00000002")]
    [InlineData("qop=auth", "qop=auth-int")]
    [InlineData("realm=\"elwood.innosoft.com\"", "realm=\"elsewhere\"")]
    [InlineData("digest-uri=\"imap/elwood.innosoft.com\"", "digest-uri=\"imap/other.host\"")]
    [InlineData("username=\"chris\"", "username=\"nobody\"")]
    [InlineData(",cnonce=\"OA6MHXh6VqTrRk\"", "")]
    [InlineData("charset=utf-8,", "charset=utf-8,charset=utf-8,")]
    [InlineData("response=d388dad90d4bbd760a152321f2143af7", "response=\"d388dad90d4bbd760a152321f2143af7")]
    public void A_response_that_breaks_a_rule_fails(string part, string replacement)
    {
        var server = RfcServer();
        server.EvaluateResponse([]);
        Assert.Contains(part, RfcResponse, StringComparison.Ordinal);
        var broken = RfcResponse.Replace(part, replacement, StringComparison.Ordinal);
        Assert.Throws<SaslFailedException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes(broken)));
    }

    [Fact]
    public void An_initial_response_and_a_token_after_completion_fail()
    {
        Assert.Throws<SaslFailedException>(() => RfcServer().EvaluateResponse("x"u8));
        var server = RfcServer();
        server.EvaluateResponse([]);
        server.EvaluateResponse(Encoding.UTF8.GetBytes(RfcResponse));
        Assert.Throws<SaslFailedException>(() => server.EvaluateResponse([]));
    }

    [Fact]
    public void An_authzid_enters_the_session_key_and_becomes_the_authorization_id()
    {
        // A client that sends authzid, as the Java client does (authzid = its user name), computed here
        // from RFC 2831's definitions independently of the server's code.
        const string nonce = "n0nce", cnonce = "cn0nce", uri = "zookeeper/zk-sasl-md5";
        string response = ClientResponse("bob", "zk-sasl-md5", "bobpw", nonce, cnonce, uri, "boss");
        var server = new DigestMd5Server("zookeeper", "zk-sasl-md5", u => u == "bob" ? "bobpw" : null, nonce);
        Assert.StartsWith("realm=\"zk-sasl-md5\",", Text(server.EvaluateResponse([])), StringComparison.Ordinal);
        string reply = Text(server.EvaluateResponse(Encoding.UTF8.GetBytes(
            $"username=\"bob\",realm=\"zk-sasl-md5\",nonce=\"{nonce}\",nc=00000001,cnonce=\"{cnonce}\",digest-uri=\"{uri}\",maxbuf=65536,response={response},qop=auth,authzid=\"boss\"")));
        Assert.StartsWith("rspauth=", reply, StringComparison.Ordinal);
        Assert.Equal("bob", server.AuthenticationId);
        Assert.Equal("boss", server.AuthorizationId);
    }

    private static string ClientResponse(string user, string realm, string password, string nonce, string cnonce, string uri, string authzid)
    {
        static string H(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));
        byte[] inner = MD5.HashData(Encoding.UTF8.GetBytes($"{user}:{realm}:{password}"));
        string ha1 = H([.. inner, .. Encoding.UTF8.GetBytes($":{nonce}:{cnonce}:{authzid}")]);
        string ha2 = H(Encoding.UTF8.GetBytes("AUTHENTICATE:" + uri));
        return H(Encoding.UTF8.GetBytes($"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
    }
}

public sealed class KerberosNamesTests
{
    [Theory]
    [InlineData("bob", false, false, "bob")]
    [InlineData("zk/host1", false, false, "zk/host1")]
    // Without '@' it is not a principal with a host: KerberosName keeps the whole name as the service.
    [InlineData("zk/host1", true, false, "zk/host1")]
    [InlineData("zk/host1@", false, false, "zk/host1@")]
    [InlineData("zk/host1@", true, false, "zk@")]
    // The empty realm is the default realm (no krb5.conf): the DEFAULT rule gives the short name.
    [InlineData("bob@", false, false, "bob@")]
    [InlineData("bob@", false, true, "bob")]
    // Another realm: no rule applies, and 3.8.0 keeps the client's authorization id.
    [InlineData("bob@EXAMPLE.COM", true, true, "authz")]
    public void The_authorized_id_follows_zookeepers_principal_rules(string name, bool removeHost, bool removeRealm, string expected) =>
        Assert.Equal(expected, KerberosNames.AuthorizedId(name, "authz", removeHost, removeRealm));

    [Fact]
    public void A_malformed_kerberos_name_fails() =>
        Assert.Throws<SaslFailedException>(() => KerberosNames.AuthorizedId("a@b@c", "a@b@c", false, false));
}
