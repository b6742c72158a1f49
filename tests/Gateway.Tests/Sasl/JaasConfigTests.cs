using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Sasl;

namespace ZkGateway.Gateway.Tests.Sasl;

public sealed class JaasConfigTests
{
    [Fact]
    public void Sections_entries_options_comments_and_quoting_are_read_as_javas_config_file()
    {
        var jaas = JaasConfig.Parse("""
            /* the server's users */
            Server {
                   org.apache.zookeeper.server.auth.DigestLoginModule required
                   user_super="adminsecret"   // the super user
                   user_bob='bob pw; with "quotes"'
                   user_eve="tab\tand \"escape\" and \101";
            };
            // the client side
            Client { org.apache.zookeeper.server.auth.DigestLoginModule REQUIRED username=bob password="bobpw"; };
            Other {
                com.example.First optional;
                com.example.Second sufficient a=1 a=2;
            };
            """);
        Assert.Equal(["Server", "Client", "Other"], jaas.SectionNames);
        var server = Assert.Single(jaas.Section("Server")!);
        Assert.Equal(SaslSettings.DigestLoginModule, server.LoginModule);
        Assert.Equal("required", server.Flag);
        Assert.Equal("adminsecret", server.Options["user_super"]);
        Assert.Equal("bob pw; with \"quotes\"", server.Options["user_bob"]);
        Assert.Equal("tab\tand \"escape\" and A", server.Options["user_eve"]);
        var client = Assert.Single(jaas.Section("Client")!);
        Assert.Equal("required", client.Flag);
        Assert.Equal("bob", client.Options["username"]);
        var other = jaas.Section("Other")!;
        Assert.Equal(2, other.Count);
        Assert.Empty(other[0].Options);
        Assert.Equal("2", other[1].Options["a"]);
        Assert.Null(jaas.Section("server"));
    }

    [Theory]
    [InlineData("Server { m required; }", "line 1: expected ';'")]
    [InlineData("Server { m mandatory; };", "invalid control flag 'mandatory'")]
    [InlineData("Server { m required user_a=\"x; };", "quoted string is not closed")]
    [InlineData("Server { m required user_a; };", "expected '='")]
    [InlineData("Server { m required user_a=; };", "has no value")]
    [InlineData("Server {\n m required\n user_a=\"x\"\n", "line 4: the entry for m does not end")]
    [InlineData("Server { m required; };\nServer { m required; };", "defined twice")]
    [InlineData("/* open", "comment is not closed")]
    [InlineData("# not a comment\nServer { m required; };", "expected a section name, found '#'")]
    public void A_malformed_file_is_refused_with_where_and_why(string text, string problem)
    {
        var e = Assert.Throws<JaasConfigException>(() => JaasConfig.Parse(text));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}

public sealed class SaslSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zkgw-sasl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Jaas(string text)
    {
        var path = Path.Combine(_dir, "jaas.conf");
        File.WriteAllText(path, text);
        return path;
    }

    private const string ServerSection = """
        Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob="bobpw" user_super="su"; };
        Mine { org.apache.zookeeper.server.auth.DigestLoginModule required user_ann="annpw"; };
        """;

    [Fact]
    public void Users_come_from_the_server_section_named_by_the_keys()
    {
        var path = Jaas(ServerSection);
        var sasl = ZooCfg.Parse([$"-Djava.security.auth.login.config={path}", "--zookeeper.superUser=bob", "--superUser.2=ann",
            "--zookeeper.SASLAuthenticationProvider.superPassword=override", "--authProvider.1=" + SaslSettings.ProviderClass]).Sasl;
        Assert.True(sasl.Configured);
        Assert.True(sasl.ProviderEnabled);
        Assert.Equal("bobpw", sasl.PasswordOf("bob"));
        Assert.Equal("override", sasl.PasswordOf("super"));
        Assert.Null(sasl.PasswordOf("ann"));
        Assert.Equal(new HashSet<string> { "bob", "ann" }, sasl.SuperUsers);

        var mine = ZooCfg.ParseText($"java.security.auth.login.config={path}\nsasl.serverconfig=Mine\n").Sasl;
        Assert.Equal("annpw", mine.PasswordOf("ann"));
        Assert.False(mine.ProviderEnabled);
    }

    [Fact]
    public void No_file_is_no_sasl_and_a_file_without_the_section_is_no_sasl_with_a_warning()
    {
        Assert.False(ZooCfg.Parse([]).Sasl.Configured);
        var path = Jaas("Client { m required; };");
        var sasl = ZooCfg.Parse([$"--java.security.auth.login.config={path}"]).Sasl;
        Assert.False(sasl.Configured);
        Assert.Contains("no 'Server' section", sasl.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_or_missing_file_is_a_start_up_error_naming_it()
    {
        var bad = Jaas("Server { m required user_a=\"x\" }");
        var e = Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse([$"--java.security.auth.login.config={bad}"]));
        Assert.Contains(bad, e.Message, StringComparison.Ordinal);
        Assert.Contains("found '}'", e.Message, StringComparison.Ordinal);
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse([$"--java.security.auth.login.config={Path.Combine(_dir, "missing.conf")}"]));
    }

    [Fact]
    public void A_kerberos_server_section_selects_gssapi_and_a_digest_one_does_not()
    {
        var kerberos = Jaas("Server { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true; };");
        var sasl = ZooCfg.Parse([$"--java.security.auth.login.config={kerberos}"]).Sasl;
        Assert.True(sasl.Configured);
        Assert.True(sasl.Gssapi);
        var digest = Jaas("Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_a=\"x\"; };");
        Assert.False(ZooCfg.Parse([$"--java.security.auth.login.config={digest}"]).Sasl.Gssapi);
    }

    [Fact]
    public void A_kerberos_server_section_names_its_keytab_principal_and_whether_it_logs_in()
    {
        const string module = "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab=\"/k/zk.keytab\"";
        SaslSettings Load(string options) =>
            ZooCfg.Parse([$"--java.security.auth.login.config={Jaas($"Server {{ {module} {options}; }};")}"]).Sasl;

        // Krb5LoginModule's isInitiator: absent or "true" in any case gets the principal's TGT from the KDC.
        Assert.Equal(new KerberosService("/k/zk.keytab", "zookeeper/h@R", true), Load("principal=\"zookeeper/h@R\"").Kerberos);
        Assert.True(Load("principal=\"zookeeper/h@R\" isInitiator=TRUE").Kerberos!.Initiator);
        Assert.False(Load("principal=\"zookeeper/h@R\" isInitiator=false").Kerberos!.Initiator);
        Assert.False(Load("principal=\"zookeeper/h@R\" isInitiator=no").Kerberos!.Initiator);
        Assert.Equal(new KerberosService("/k/zk.keytab", null, true), Load("").Kerberos);
    }

    [Fact]
    public void Enforce_auth_needs_schemes_that_are_registered()
    {
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--zookeeper.enforce.auth.enabled=true"]));
        var e = Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--enforce.auth.enabled=true", "--enforce.auth.schemes=sasl"]));
        Assert.Contains("sasl is not available", e.Message, StringComparison.Ordinal);
        var digest = ZooCfg.Parse(["--enforce.auth.enabled=true", "--enforce.auth.schemes=digest, ip"]).Sasl;
        Assert.True(digest.EnforceAuth);
        Assert.Equal(["digest", "ip"], digest.EnforceAuthSchemes);
        Assert.False(digest.SaslRequired);
        // sessionRequireClientSASLAuth wins over the enforce.auth keys: sasl only.
        var required = ZooCfg.Parse(["--zookeeper.sessionRequireClientSASLAuth=true", "--enforce.auth.schemes=digest", "--zookeeper.authProvider.sasl=" + SaslSettings.ProviderClass]).Sasl;
        Assert.True(required.SaslRequired);
        Assert.Equal(["sasl"], required.EnforceAuthSchemes);
    }
}
