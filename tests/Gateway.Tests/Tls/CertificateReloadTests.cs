using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Tests.Support;
using ZkGateway.Gateway.Tls;

namespace ZkGateway.Gateway.Tests.Tls;

/// <summary>
/// client.certReload: a changed key store or trust store is what new connections get; connections
/// already open keep theirs; a store that does not load leaves the previous one in place.
/// </summary>
public sealed class CertificateReloadTests : IDisposable
{
    private const string X509Provider = "--authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider";
    private readonly string _dir = Directory.CreateTempSubdirectory("zkgw-reload-").FullName;
    private readonly X509Certificate2 _ca1 = Authority("CN=first CA");
    private readonly X509Certificate2 _ca2 = Authority("CN=second CA");

    private string KeyStore => Path.Combine(_dir, "server.pem");

    private string TrustStore => Path.Combine(_dir, "ca.pem");

    public void Dispose()
    {
        _ca1.Dispose();
        _ca2.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static X509Certificate2 Authority(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(string subject, X509Certificate2 issuer)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }

    private static string KeyStorePem(X509Certificate2 server) =>
        server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n" + server.ExportCertificatePem() + "\n";

    /// <summary>Writes next to the file, then renames over it: how rotation tools replace a file in one step.</summary>
    private static void Replace(string path, string text)
    {
        string next = path + ".next";
        File.WriteAllText(next, text);
        File.Move(next, path, overwrite: true);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public void Reload_loads_changed_stores_and_keeps_the_previous_ones_when_the_new_do_not_load()
    {
        using var serverA = Issue("CN=server A", _ca1);
        using var serverB = Issue("CN=server B", _ca1);
        File.WriteAllText(KeyStore, KeyStorePem(serverA));
        File.WriteAllText(TrustStore, _ca1.ExportCertificatePem());
        using var source = new TlsCertificateSource(ZooCfg.Parse(["--secureClientPort=0", "--ssl.keyStore.location=" + KeyStore, "--ssl.trustStore.location=" + TrustStore]));
        var first = source.Current;
        Assert.Equal(serverA.Thumbprint, first.Certificate.Thumbprint);

        source.Reload();
        Assert.Same(first, source.Current); // nothing changed: nothing loaded

        File.WriteAllText(KeyStore, "-----BEGIN PRIVATE KEY-----\nhalf written");
        source.Reload();
        Assert.Same(first, source.Current);

        File.WriteAllText(KeyStore, KeyStorePem(serverB));
        source.Reload();
        Assert.Equal(serverB.Thumbprint, source.Current.Certificate.Thumbprint);

        using var client2 = Issue("CN=client two", _ca2);
        Assert.False(source.Current.IsTrusted(client2, null));
        File.WriteAllText(TrustStore, _ca1.ExportCertificatePem() + "\n" + _ca2.ExportCertificatePem());
        source.Reload();
        Assert.True(source.Current.IsTrusted(client2, null));
    }

    [Fact]
    public async Task With_certReload_new_connections_get_the_replaced_stores_and_open_ones_keep_theirs()
    {
        using var serverA = Issue("CN=server A", _ca1);
        using var serverB = Issue("CN=server B", _ca1);
        using var client1 = Issue("CN=client one", _ca1);
        using var client2 = Issue("CN=client two", _ca2);
        File.WriteAllText(KeyStore, KeyStorePem(serverA));
        File.WriteAllText(TrustStore, _ca1.ExportCertificatePem());
        int port = FreePort();
        var options = ZooCfg.Parse([TestArguments.NoAdmin, $"--dataDir={Path.Combine(_dir, "data")}", $"--clientPort={FreePort()}", $"--secureClientPort={port}",
            "--ssl.keyStore.location=" + KeyStore, "--ssl.trustStore.location=" + TrustStore, "--client.certReload=true", X509Provider,
            "--4lw.commands.whitelist=*", "--handshakeTimeoutMs=120000"]);
        await using var app = GatewayHost.Build(options);
        await app.StartAsync();

        // Open before the change, and left waiting: it must outlive the rotation.
        var (openTcp, open) = await ConnectAsync(port, client1);
        using var openTcpDisposer = openTcp;
        await using var openDisposer = open;
        Assert.Equal("CN=server A", open.RemoteCertificate!.Subject);

        Replace(KeyStore, KeyStorePem(serverB));
        Replace(TrustStore, _ca1.ExportCertificatePem() + "\n" + _ca2.ExportCertificatePem());

        // The watcher reloads soon after; until then client2 (second CA) is refused or server A answers.
        // The two files are reloaded one after the other: for a moment server B's certificate is served
        // while the old trust store still refuses client2, which under TLS 1.3 the client learns only
        // after its side of the handshake (the server closes: ruok gets no answer). So the rotation is
        // done once a client2 connection sees server B and is answered.
        string? seen = null;
        string? answer = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (answer != "imok" && DateTime.UtcNow < deadline)
        {
            try
            {
                var (tcp, ssl) = await ConnectAsync(port, client2);
                using (tcp)
                {
                    await using (ssl)
                    {
                        seen = ssl.RemoteCertificate!.Subject;
                        answer = seen == "CN=server B" ? await FourLetterAsync(ssl, "ruok") : null;
                    }
                }
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                // not reloaded yet
            }
            if (answer != "imok")
            {
                await Task.Delay(50);
            }
        }
        Assert.Equal("CN=server B", seen);
        Assert.Equal("imok", answer);

        // The connection opened before still works, on the certificate it was made with.
        Assert.Equal("CN=server A", open.RemoteCertificate!.Subject);
        Assert.Equal("imok", await FourLetterAsync(open, "ruok"));
        await app.StopAsync();
    }

    private static async Task<(TcpClient Tcp, SslStream Ssl)> ConnectAsync(int port, X509Certificate2 client)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [client],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client,
                EnabledSslProtocols = SslProtocols.Tls12,
            });
            return (tcp, ssl);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private static async Task<string> FourLetterAsync(SslStream ssl, string word)
    {
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(word));
        var answer = new MemoryStream();
        var buffer = new byte[256];
        int n;
        while ((n = await ssl.ReadAsync(buffer)) > 0)
        {
            answer.Write(buffer, 0, n);
        }
        return Encoding.ASCII.GetString(answer.ToArray());
    }
}
