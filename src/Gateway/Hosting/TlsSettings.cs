namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// The client-port TLS keys, with ZooKeeper 3.8's names, meanings and defaults (X509Util,
/// SSLContextAndOptions). ZooKeeper reads them as the system properties <c>zookeeper.ssl.*</c>
/// (its zoo.cfg parser turns an unknown <c>ssl.x</c> into <c>zookeeper.ssl.x</c>); <see cref="ZooCfg"/>
/// accepts both spellings. Used only when <see cref="GatewayOptions.SecureClientPort"/> is set.
/// </summary>
public sealed class TlsSettings
{
    /// <summary>ZooKeeper 3.8's <c>X509Util.DEFAULT_PROTOCOL</c>.</summary>
    public const string DefaultProtocol = "TLSv1.2";

    /// <summary><c>X509Util.DEFAULT_HANDSHAKE_DETECTION_TIMEOUT_MILLIS</c>.</summary>
    public const int DefaultHandshakeTimeoutMillis = 5000;

    /// <summary><c>ssl.keyStore.location</c>: the server's key and certificate chain (PKCS12 or PEM).</summary>
    public string? KeyStoreLocation { get; set; }

    /// <summary><c>ssl.keyStore.password</c>: the PKCS12 password, or the PEM private key's (encrypted PKCS#8).</summary>
    public string? KeyStorePassword { get; set; }

    /// <summary><c>ssl.keyStore.type</c>: PKCS12, PEM or JKS (refused); unset = from the file name (.p12/.pfx, .pem).</summary>
    public string? KeyStoreType { get; set; }

    /// <summary><c>ssl.trustStore.location</c>: the CA certificates client certificates must chain to.</summary>
    public string? TrustStoreLocation { get; set; }

    /// <summary><c>ssl.trustStore.password</c>.</summary>
    public string? TrustStorePassword { get; set; }

    /// <summary><c>ssl.trustStore.type</c>, as <see cref="KeyStoreType"/>.</summary>
    public string? TrustStoreType { get; set; }

    /// <summary><c>ssl.clientAuth</c>: none, want or need; ZooKeeper's default (unset or empty) is need.</summary>
    public TlsClientAuth ClientAuth { get; set; } = TlsClientAuth.Need;

    /// <summary><c>ssl.protocol</c>: the SSLContext protocol; default TLSv1.2.</summary>
    public string Protocol { get; set; } = DefaultProtocol;

    /// <summary><c>ssl.enabledProtocols</c> (comma-separated); unset = just <see cref="Protocol"/>, as 3.8.0.</summary>
    public IReadOnlyList<string>? EnabledProtocols { get; set; }

    /// <summary><c>ssl.ciphersuites</c> (comma-separated, IANA/Java names); unset = 3.8.0's Java 9+ default list.</summary>
    public IReadOnlyList<string>? CipherSuites { get; set; }

    /// <summary>
    /// <c>ssl.handshakeDetectionTimeoutMillis</c> (default 5000, at least 1). 3.8.0 uses it only on its
    /// unified quorum port; here it bounds the TLS handshake of a client connection.
    /// </summary>
    public int HandshakeTimeoutMillis { get; set; } = DefaultHandshakeTimeoutMillis;

    /// <summary>
    /// <c>client.certReload</c> (<c>zookeeper.client.certReload</c>, ZooKeeper 3.9's key, Boolean.getBoolean):
    /// reload the key store and trust store for new connections when their files change. Default false;
    /// 3.8.0 has no such key and serves the certificates it started with until restarted.
    /// </summary>
    public bool CertReload { get; set; }
}

/// <summary><c>ssl.clientAuth</c> (X509Util.ClientAuth).</summary>
public enum TlsClientAuth
{
    /// <summary>No client certificate is asked for.</summary>
    None,

    /// <summary>One is asked for; a client without one is served, unauthenticated.</summary>
    Want,

    /// <summary>One is required: the handshake fails without it.</summary>
    Need,
}
