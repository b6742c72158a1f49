using System.Security.Cryptography.X509Certificates;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Tls;

/// <summary>
/// The ids a TLS connection starts with (3.8.0's NettyServerCnxnFactory.CertificateVerifier, run when
/// the handshake completes, before the first request): with <c>ssl.clientAuth</c> want or need and a
/// client certificate, the x509 provider authenticates it as <c>x509:&lt;subject DN&gt;</c>
/// (X509AuthenticationProvider.handleAuthentication), preceded by <c>super:&lt;DN&gt;</c> when the DN is
/// <c>zookeeper.X509AuthenticationProvider.superUser</c>. With want and no certificate the connection
/// is served without an x509 id. With clientAuth none no certificate is asked for.
/// </summary>
public static class ClientIds
{
    /// <summary>What becomes of a TLS connection at its start.</summary>
    public enum Outcome
    {
        /// <summary>Served; <c>ids</c> (maybe empty) are added to the connection.</summary>
        Accepted,

        /// <summary>
        /// A certificate was presented but the x509 scheme is not registered (no <c>authProvider.*</c>
        /// names X509AuthenticationProvider): 3.8.0 closes the connection (AUTH_PROVIDER_NOT_FOUND).
        /// </summary>
        NoProvider,
    }

    /// <summary>The ids for <paramref name="certificate"/> (null: none presented).</summary>
    public static Outcome Authenticate(GatewayOptions options, X509Certificate2? certificate, out IReadOnlyList<Id> ids)
    {
        ArgumentNullException.ThrowIfNull(options);
        ids = [];
        if (options.Tls.ClientAuth == TlsClientAuth.None || certificate is null)
        {
            return Outcome.Accepted;
        }
        if (!options.X509ProviderEnabled)
        {
            return Outcome.NoProvider;
        }
        string dn = X500Names.ToRfc2253(certificate.SubjectName);
        ids = dn == options.X509SuperUser ? [new Id("super", dn), new Id("x509", dn)] : [new Id("x509", dn)];
        return Outcome.Accepted;
    }
}
