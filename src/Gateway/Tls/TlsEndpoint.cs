using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Tls;

/// <summary>
/// One reading of the TLS stores and keys (<c>ssl.*</c>): what Kestrel's TLS middleware gives each new
/// connection on <c>secureClientPort</c> (and on a unified client port), through <see cref="TlsCertificateSource"/>,
/// which swaps snapshots when the store files change. What 3.8.0's NettyServerCnxnFactory does, and how it maps:
/// <list type="bullet">
/// <item><c>ssl.clientAuth</c> need / want / none: a certificate required / asked for / not asked for.</item>
/// <item>A client certificate is trusted when it chains to a certificate of the trust store (its only
/// anchors; no system roots, no revocation check: 3.8.0's defaults <c>ssl.crl</c> and <c>ssl.ocsp</c> are
/// off). An untrusted one fails the handshake and the connection is closed, as 3.8.0.</item>
/// <item><c>ssl.enabledProtocols</c> (default: <c>ssl.protocol</c>, TLSv1.2) and <c>ssl.ciphersuites</c>
/// (default: 3.8.0's list for Java 9+, the TLS 1.3 suites added when TLSv1.3 is enabled).</item>
/// </list>
/// The certificate's x509 id is added by <see cref="ClientIds"/> when the connection starts.
/// </summary>
public sealed class TlsEndpoint
{
    /// <summary>X509Util.getGCMCiphers then getCBCCiphers: 3.8.0's default on Java 9 and later.</summary>
    public static readonly IReadOnlyList<string> DefaultCipherSuites =
    [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    ];

    /// <summary>The TLS 1.3 suites (Java's names are the IANA ones), enabled with TLSv1.3 when no list is configured.</summary>
    private static readonly TlsCipherSuite[] Tls13Suites =
        [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    private readonly GatewayOptions _options;
    private readonly X509Certificate2Collection _trusted;
    private readonly SslStreamCertificateContext _certificateContext;

    private TlsEndpoint(GatewayOptions options, X509Certificate2 certificate, X509Certificate2Collection chain, X509Certificate2Collection trusted,
        SslProtocols protocols, CipherSuitesPolicy? cipherSuites)
    {
        _options = options;
        _trusted = trusted;
        Certificate = certificate;
        Chain = chain;
        // Built once per snapshot: SslStream sends this chain with every handshake.
        _certificateContext = SslStreamCertificateContext.Create(certificate, chain, offline: true);
        Protocols = protocols;
        CipherSuites = cipherSuites;
    }

    /// <summary>The server certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The intermediate certificates sent with it.</summary>
    public X509Certificate2Collection Chain { get; }

    public SslProtocols Protocols { get; }

    /// <summary>Null where the platform does not let us choose (not Linux/macOS).</summary>
    public CipherSuitesPolicy? CipherSuites { get; }

    /// <summary>Reads the stores and checks the keys; throws <see cref="GatewayConfigurationException"/>.</summary>
    public static TlsEndpoint Create(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tls = options.Tls;
        var (certificate, chain) = KeyStores.LoadKeyStore(tls);
        var trusted = tls.TrustStoreLocation is null ? [] : KeyStores.LoadTrustStore(tls);
        var protocols = ParseProtocols(tls.EnabledProtocols ?? [tls.Protocol]);
        CipherSuitesPolicy? policy = null;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            var suites = new List<TlsCipherSuite>();
            foreach (string name in tls.CipherSuites ?? DefaultCipherSuites)
            {
                suites.Add(Enum.TryParse<TlsCipherSuite>(name, ignoreCase: false, out var suite) && suite.ToString() == name
                    ? suite
                    : throw new GatewayConfigurationException("ssl.ciphersuites", name, "is not a cipher suite name .NET knows (IANA names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"));
            }
            if (tls.CipherSuites is null && protocols.HasFlag(SslProtocols.Tls13))
            {
                suites.AddRange(Tls13Suites);
            }
            policy = new CipherSuitesPolicy(suites);
        }
        return new TlsEndpoint(options, certificate, chain, trusted, protocols, policy);
    }

    /// <summary>Java protocol names (SSLContext / SSLParameters) → <see cref="SslProtocols"/>.</summary>
    internal static SslProtocols ParseProtocols(IEnumerable<string> names)
    {
        var result = SslProtocols.None;
        foreach (string name in names)
        {
#pragma warning disable SYSLIB0039 // TLS 1.0 and 1.1 only when configured by name, as ZooKeeper allows
            result |= name switch
            {
                "TLSv1.3" => SslProtocols.Tls13,
                "TLSv1.2" => SslProtocols.Tls12,
                "TLSv1.1" => SslProtocols.Tls11,
                "TLSv1" => SslProtocols.Tls,
                // SSLContext.getInstance("TLS") enables the JDK's defaults, TLSv1.3 and TLSv1.2.
                "TLS" => SslProtocols.Tls12 | SslProtocols.Tls13,
                _ => throw new GatewayConfigurationException("ssl.enabledProtocols", name, "must be TLSv1.3, TLSv1.2, TLSv1.1, TLSv1 or TLS"),
            };
#pragma warning restore SYSLIB0039
        }
        return result;
    }

    /// <summary>
    /// A new connection's TLS options, from this snapshot of the stores: the certificate with its chain,
    /// protocols, suites, and the client-certificate rule of <c>ssl.clientAuth</c> (need: a trusted
    /// certificate or the handshake fails; want: none, or a trusted one; none: not asked for).
    /// </summary>
    public SslServerAuthenticationOptions ServerOptions()
    {
        var clientAuth = _options.Tls.ClientAuth;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _certificateContext,
            EnabledSslProtocols = Protocols,
            CipherSuitesPolicy = CipherSuites,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificateRequired = clientAuth != TlsClientAuth.None,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) => certificate is null
                ? clientAuth != TlsClientAuth.Need
                : IsTrusted(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), chain),
        };
    }

    /// <summary>
    /// Whether a client certificate chains to the trust store (PKIX with the trust store's certificates
    /// as the only anchors; a certificate that is itself in the trust store is trusted too).
    /// </summary>
    public bool IsTrusted(X509Certificate2 certificate, X509Chain? presented)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var t in _trusted)
        {
            if (t.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
            {
                return true;
            }
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(certificate);
    }
}
