using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>Byte-level helpers for the TLS scenarios: four-letter words over TLS and plaintext, reading to the end.</summary>
public static class TlsWire
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Sends <paramref name="word"/> over TLS with the client certificate in <paramref name="certificate"/> (a .p12) and reads the answer to the end.</summary>
    public static async Task<string> FourLetterAsync(int port, string word, string certificate)
    {
        using var cts = new CancellationTokenSource(Wait);
        using var c = new TcpClient();
        await c.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var cert = X509CertificateLoader.LoadPkcs12FromFile(certificate, TlsCertificates.Password);
        await using var ssl = new SslStream(c.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [cert],
            // Send it whatever CA names the server lists (the untrusted one would otherwise be held back).
            LocalCertificateSelectionCallback = (_, _, _, _, _) => cert,
            EnabledSslProtocols = SslProtocols.Tls12,
        }, cts.Token);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
        return Encoding.ASCII.GetString(await ReadAllAsync(ssl));
    }

    /// <summary>Sends <paramref name="word"/> in plaintext and reads the answer to the end.</summary>
    public static async Task<string> PlaintextFourLetterAsync(int port, string word)
    {
        using var cts = new CancellationTokenSource(Wait);
        using var c = new TcpClient();
        await c.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var s = c.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
        return Encoding.ASCII.GetString(await ReadAllAsync(s));
    }

    /// <summary>Everything the peer sends until it closes (or resets, or the wait ends).</summary>
    public static async Task<byte[]> ReadAllAsync(Stream s)
    {
        using var cts = new CancellationTokenSource(Wait);
        var ms = new MemoryStream();
        var buf = new byte[4096];
        try
        {
            int n;
            while ((n = await s.ReadAsync(buf, cts.Token)) > 0)
            {
                ms.Write(buf, 0, n);
            }
        }
        catch (IOException)
        {
            // reset by the peer: what was read so far is the answer
        }
        return ms.ToArray();
    }
}
