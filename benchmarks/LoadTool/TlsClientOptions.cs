using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ZkGateway.LoadTool;

/// <summary>
/// TLS for the load tool's sessions (<c>--tls-ca</c>, <c>--tls-cert</c>, <c>--tls-password</c>): the server
/// certificate must chain to the CA file (PEM), which is the only trust anchor; a client certificate
/// (PKCS12) is sent when the server asks for one. TLS 1.2 unless <see cref="Protocols"/> says otherwise,
/// 3.8.0's default protocol, so both servers negotiate the same.
/// </summary>
public sealed record TlsClientOptions
{
    /// <summary>PEM file with the CA certificate(s) the server's certificate must chain to.</summary>
    public required string CaPath { get; init; }

    /// <summary>PKCS12 file with the client certificate and key; null: none.</summary>
    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }

    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12;

    /// <summary>Loads the files once, so every session's handshake reuses them.</summary>
    public Loaded Load()
    {
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(CaPath);
        if (anchors.Count == 0)
        {
            throw new ArgumentException($"--tls-ca {CaPath} holds no certificate.");
        }
        var client = CertificatePath is null ? null : X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword);
        return new Loaded(anchors, client, Protocols);
    }

    /// <summary>The loaded trust anchors and client certificate.</summary>
    public sealed class Loaded(X509Certificate2Collection anchors, X509Certificate2? client, SslProtocols protocols)
    {
        /// <summary>Runs the client handshake over <paramref name="inner"/> and returns the TLS stream.</summary>
        public async Task<Stream> AuthenticateAsync(Stream inner, string host, CancellationToken cancellationToken)
        {
            var ssl = new SslStream(inner, leaveInnerStreamOpen: false, (_, certificate, chain, errors) => IsTrusted(certificate, chain, errors));
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    EnabledSslProtocols = protocols,
                    ClientCertificates = client is null ? null : [client],
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, cancellationToken).ConfigureAwait(false);
                return ssl;
            }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Chains to the CA file (host name mismatches allowed: the servers are reached by IP).</summary>
        private bool IsTrusted(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
        {
            if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presented is not null)
            {
                foreach (var element in presented.ChainElements)
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
            return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        }
    }
}
