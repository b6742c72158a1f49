using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Tls;

namespace ZkGateway.Gateway.Tests.Tls;

public sealed class X500NamesTests
{
    /// <summary>
    /// A subject made by openssl (<c>-multivalue-rdn -subj "/DC=org/O=zk\, gw/OU=a+UID=u1/CN= lead#=;&lt;x&gt; /emailAddress=x@y/serialNumber=42"</c>)
    /// and what Java 17's <c>X500Principal.getName()</c> printed for it: reverse RDN order, escapes,
    /// leading/trailing spaces, a multi-valued RDN in DER order, OID=#hex for attributes without an RFC 2253 keyword.
    /// </summary>
    [Fact]
    public void The_subject_is_printed_as_javas_X500Principal_getName()
    {
        var der = Convert.FromHexString(
            "307c31133011060a0992268993f22c64011916036f7267310f300d060355040a0c067a6b2c206777311c3008060355040b0c01613010060a0992268993f22c6401010c0275313115301306035504030c0c206c656164233d3b3c783e203112301006092a864886f70d0109011603784079310b3009060355040513023432");
        Assert.Equal(@"2.5.4.5=#13023432,1.2.840.113549.1.9.1=#1603784079,CN=\ lead\#\=\;\<x\>\ ,OU=a+UID=u1,O=zk\, gw,DC=org",
            X500Names.ToRfc2253(new X500DistinguishedName(der)));
    }

    [Fact]
    public void A_plain_subject_is_most_specific_first_without_spaces()
    {
        // .NET's own form is reversed and spaced: "CN=client, OU=test, O=zkgw" ↔ DER order O, OU, CN.
        var name = new X500DistinguishedName("CN=client, OU=test, O=zkgw");
        Assert.Equal("CN=client,OU=test,O=zkgw", X500Names.ToRfc2253(name));
    }
}

public sealed class TlsConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zkgw-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static X509Certificate2 SelfSigned(string subject, X509Certificate2? issuer = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (issuer is null)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        }
        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3]);
        return signed.CopyWithPrivateKey(key);
    }

    [Fact]
    public void The_ssl_keys_are_read_in_both_spellings_with_zookeepers_defaults()
    {
        var o = ZooCfg.Parse(["--secureClientPort=2281", "--ssl.keyStore.location=/k.p12", "--zookeeper.ssl.trustStore.location=/t.pem", "--zookeeper.ssl.clientAuth=want",
            "--authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider", "--zookeeper.X509AuthenticationProvider.superUser=CN=admin"]);
        Assert.Equal(2281, o.SecureClientPort);
        Assert.Equal(-1, o.ClientPort); // only the secure port was configured: no plaintext port, as ZooKeeper
        Assert.Equal("/k.p12", o.Tls.KeyStoreLocation);
        Assert.Equal("/t.pem", o.Tls.TrustStoreLocation);
        Assert.Equal(TlsClientAuth.Want, o.Tls.ClientAuth);
        Assert.True(o.X509ProviderEnabled);
        Assert.Equal("CN=admin", o.X509SuperUser);
        Assert.Equal("TLSv1.2", o.Tls.Protocol);
        Assert.Null(o.Tls.EnabledProtocols);
        Assert.Equal(5000, o.Tls.HandshakeTimeoutMillis);

        var both = ZooCfg.Parse(["--clientPort=2181", "--secureClientPort=2281", "--ssl.keyStore.location=/k.p12", "--ssl.trustStore.location=/t.pem"]);
        Assert.Equal(2181, both.ClientPort);
        Assert.Equal(TlsClientAuth.Need, both.Tls.ClientAuth); // ZooKeeper's default
        Assert.False(both.X509ProviderEnabled);
        Assert.Equal(-1, ZooCfg.Parse([]).SecureClientPort);
    }

    [Theory]
    [InlineData("--ssl.clientAuth=sometimes")]
    [InlineData("--ssl.keyStore.type=BKS")]
    [InlineData("--ssl.handshakeDetectionTimeoutMillis=0")]
    public void Bad_ssl_values_are_configuration_errors(string arg)
    {
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--secureClientPort=2281", "--ssl.keyStore.location=/k.p12", "--ssl.trustStore.location=/t.pem", arg]));
    }

    [Fact]
    public void A_secure_port_needs_a_key_store_and_unless_clientAuth_none_a_trust_store()
    {
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--secureClientPort=2281"]));
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--secureClientPort=2281", "--ssl.keyStore.location=/k.p12"]));
        Assert.Equal(TlsClientAuth.None, ZooCfg.Parse(["--secureClientPort=2281", "--ssl.keyStore.location=/k.p12", "--ssl.clientAuth=none"]).Tls.ClientAuth);
    }

    [Fact]
    public void Jks_stores_are_refused_with_a_conversion_hint()
    {
        var o = ZooCfg.Parse(["--secureClientPort=0", "--ssl.keyStore.location=" + Path.Combine(_dir, "k.jks"), "--ssl.clientAuth=none"]);
        var e = Assert.Throws<GatewayConfigurationException>(() => TlsEndpoint.Create(o));
        Assert.Contains("PKCS12", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pem_and_pkcs12_stores_load_and_the_trust_store_decides_which_client_certificates_are_trusted()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var server = SelfSigned("CN=localhost", ca);
        using var client = SelfSigned("CN=client, O=zkgw", ca);
        using var rogue = SelfSigned("CN=client, O=zkgw");

        // PEM key store (key + certificate) and PEM trust store; then a PKCS12 key store with a password.
        string keyPem = Path.Combine(_dir, "server.pem"), trustPem = Path.Combine(_dir, "ca.pem"), p12 = Path.Combine(_dir, "server.p12");
        File.WriteAllText(keyPem, server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n" + server.ExportCertificatePem() + "\n" + ca.ExportCertificatePem());
        File.WriteAllText(trustPem, ca.ExportCertificatePem());
        File.WriteAllBytes(p12, server.Export(X509ContentType.Pkcs12, "pw"));

        var pem = TlsEndpoint.Create(ZooCfg.Parse(["--secureClientPort=0", "--ssl.keyStore.location=" + keyPem, "--ssl.trustStore.location=" + trustPem]));
        Assert.Equal(server.Thumbprint, pem.Certificate.Thumbprint);
        Assert.True(pem.Certificate.HasPrivateKey);
        Assert.Single(pem.Chain);
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12, pem.Protocols);
        Assert.True(pem.IsTrusted(client, null));
        Assert.False(pem.IsTrusted(rogue, null));

        var pkcs12 = TlsEndpoint.Create(ZooCfg.Parse(["--secureClientPort=0", "--ssl.keyStore.location=" + p12, "--ssl.keyStore.password=pw",
            "--ssl.trustStore.location=" + trustPem, "--ssl.enabledProtocols=TLSv1.3,TLSv1.2"]));
        Assert.Equal(server.Thumbprint, pkcs12.Certificate.Thumbprint);
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13, pkcs12.Protocols);

        Assert.Throws<GatewayConfigurationException>(() => TlsEndpoint.Create(ZooCfg.Parse(["--secureClientPort=0", "--ssl.keyStore.location=" + keyPem,
            "--ssl.trustStore.location=" + trustPem, "--ssl.ciphersuites=TLS_NO_SUCH_SUITE"])));
    }

    [Fact]
    public void A_client_certificate_gives_x509_and_for_the_super_user_super_only_with_the_provider()
    {
        using var client = SelfSigned("CN=client, OU=test, O=zkgw");
        var without = ZooCfg.Parse(["--secureClientPort=0", "--ssl.keyStore.location=/k.p12", "--ssl.trustStore.location=/t.pem"]);
        Assert.Equal(ClientIds.Outcome.NoProvider, ClientIds.Authenticate(without, client, out _));
        Assert.Equal(ClientIds.Outcome.Accepted, ClientIds.Authenticate(without, null, out var none));
        Assert.Empty(none);

        var with = ZooCfg.Parse(["--secureClientPort=0", "--ssl.keyStore.location=/k.p12", "--ssl.trustStore.location=/t.pem",
            "--zookeeper.authProvider.1=org.apache.zookeeper.server.auth.X509AuthenticationProvider", "--zookeeper.X509AuthenticationProvider.superUser=CN=client,OU=test,O=zkgw"]);
        Assert.Equal(ClientIds.Outcome.Accepted, ClientIds.Authenticate(with, client, out var ids));
        Assert.Equal([new("super", "CN=client,OU=test,O=zkgw"), new("x509", "CN=client,OU=test,O=zkgw")], ids);
    }
}
