using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tls;

/// <summary>
/// Reads <c>ssl.keyStore.*</c> and <c>ssl.trustStore.*</c> the way ZooKeeper 3.8's X509Util does for the
/// types .NET can read: PKCS12 and PEM. The type comes from <c>*.type</c>, else from the file name
/// (KeyStoreFileType.fromFilename: <c>.p12</c>, <c>.pem</c>; <c>.pfx</c> is taken as PKCS12 too).
/// JKS and BCFKS are refused with a configuration error: .NET has no reader for them.
/// </summary>
public static class KeyStores
{
    /// <summary>The server certificate (with its private key) and the rest of its chain from the key store.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadKeyStore(TlsSettings tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        string path = tls.KeyStoreLocation ?? throw new GatewayConfigurationException("ssl.keyStore.location is not set");
        const string key = "ssl.keyStore.location";
        try
        {
            X509Certificate2Collection all;
            X509Certificate2? leaf;
            switch (StoreType(key, path, tls.KeyStoreType))
            {
                case "PKCS12":
                    all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, tls.KeyStorePassword, X509KeyStorageFlags.EphemeralKeySet);
                    leaf = all.FirstOrDefault(c => c.HasPrivateKey);
                    break;
                default:
                    // ZooKeeper's PemReader: one PKCS#8 private key (encrypted with the key store
                    // password when there is one) and the certificate chain, leaf first.
                    string pem = File.ReadAllText(path);
                    leaf = string.IsNullOrEmpty(tls.KeyStorePassword) || !pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal)
                        ? X509Certificate2.CreateFromPem(pem, pem)
                        : X509Certificate2.CreateFromEncryptedPem(pem, pem, tls.KeyStorePassword);
                    all = [];
                    all.ImportFromPem(pem);
                    break;
            }
            if (leaf is null)
            {
                throw new GatewayConfigurationException(key, path, "holds no certificate with a private key");
            }
            var chain = new X509Certificate2Collection();
            foreach (var c in all)
            {
                if (c.Thumbprint != leaf.Thumbprint)
                {
                    chain.Add(c);
                }
            }
            return (leaf, chain);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new GatewayConfigurationException($"Invalid configuration: {key}={path}: cannot read the key store: {e.Message}", e);
        }
    }

    /// <summary>The trusted certificates (trust anchors) of the trust store.</summary>
    public static X509Certificate2Collection LoadTrustStore(TlsSettings tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        string path = tls.TrustStoreLocation ?? throw new GatewayConfigurationException("ssl.trustStore.location is not set");
        const string key = "ssl.trustStore.location";
        try
        {
            X509Certificate2Collection certificates;
            if (StoreType(key, path, tls.TrustStoreType) == "PKCS12")
            {
                certificates = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, tls.TrustStorePassword, X509KeyStorageFlags.EphemeralKeySet);
            }
            else
            {
                certificates = [];
                certificates.ImportFromPemFile(path);
            }
            return certificates.Count > 0 ? certificates : throw new GatewayConfigurationException(key, path, "holds no certificate");
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new GatewayConfigurationException($"Invalid configuration: {key}={path}: cannot read the trust store: {e.Message}", e);
        }
    }

    private static string StoreType(string key, string path, string? configured)
    {
        string type = configured ?? Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".p12" or ".pfx" => "PKCS12",
            ".pem" => "PEM",
            ".jks" => "JKS",
            ".bcfks" => "BCFKS",
            _ => throw new GatewayConfigurationException(key, path, "the store type cannot be told from the file name: set its .type (PKCS12 or PEM)"),
        };
        return type is "JKS" or "BCFKS"
            ? throw new GatewayConfigurationException(key, path,
                $"{type} stores are not supported (.NET cannot read them); convert to PKCS12: keytool -importkeystore -srckeystore {Path.GetFileName(path)} -destkeystore store.p12 -deststoretype PKCS12")
            : type;
    }
}
