using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.LoadTool.Tests;

/// <summary>
/// The load tool over TLS (--tls-ca, --tls-cert) against an in-process gateway's secureClientPort with
/// clientAuth need and the x509 provider: gets and sets complete without errors. Certificates are made
/// here (a CA, the server, a client). No timing assertions.
/// </summary>
public sealed class LoadToolTlsSmokeTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zkgw-loadtool-tls-").FullName;
    private WebApplication _app = null!;
    private int _securePort;

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static X509Certificate2 Issue(string subject, X509Certificate2 issuer, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }
        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }

    public async Task InitializeAsync()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=load tool test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var server = Issue("CN=server", ca, server: true);
        using var client = Issue("CN=load tool", ca, server: false);
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "server.pem"), server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n" + server.ExportCertificatePem());
        File.WriteAllBytes(Path.Combine(_dir, "client.p12"), client.Export(X509ContentType.Pkcs12, "pw"));

        _securePort = FreePort();
        _app = GatewayHost.Build(ZooCfg.Parse([$"--clientPort={FreePort()}", $"--secureClientPort={_securePort}", $"--dataDir={Path.Combine(_dir, "data")}",
            "--ssl.keyStore.location=" + Path.Combine(_dir, "server.pem"), "--ssl.trustStore.location=" + Path.Combine(_dir, "ca.pem"),
            "--authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider"]));
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Gets_and_sets_over_tls_with_a_client_certificate_complete_without_errors()
    {
        var options = new LoadOptions
        {
            Target = $"127.0.0.1:{_securePort}",
            Mix = LoadOptions.ParseMix("get=1,set=1"),
            Connections = 2,
            Outstanding = 2,
            Warmup = TimeSpan.FromMilliseconds(200),
            Duration = TimeSpan.FromSeconds(1),
            Tls = new TlsClientOptions { CaPath = Path.Combine(_dir, "ca.pem"), CertificatePath = Path.Combine(_dir, "client.p12"), CertificatePassword = "pw" },
        };

        var result = await new LoadRunner(options).RunAsync();

        Assert.Equal(0, result.Total.Errors);
        Assert.True(result.Total.Ops > 0, "no operation completed over TLS");
    }

    [Fact]
    public async Task A_server_certificate_from_another_ca_is_refused()
    {
        using var otherKey = RSA.Create(2048);
        var otherRequest = new CertificateRequest("CN=another CA", otherKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        otherRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var other = otherRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string otherCa = Path.Combine(_dir, "other-ca.pem");
        File.WriteAllText(otherCa, other.ExportCertificatePem());
        var tls = new TlsClientOptions { CaPath = otherCa, CertificatePath = Path.Combine(_dir, "client.p12"), CertificatePassword = "pw" }.Load();

        await Assert.ThrowsAsync<System.Security.Authentication.AuthenticationException>(() => ZkConnection.ConnectAsync("127.0.0.1", _securePort, tls));
    }
}
