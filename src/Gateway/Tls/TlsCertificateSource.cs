using System.Security.Cryptography;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tls;

/// <summary>
/// The TLS snapshot (<see cref="TlsEndpoint"/>) each new connection gets, and with <c>client.certReload</c>
/// (ZooKeeper 3.9's <c>zookeeper.client.certReload</c>; 3.8.0 has no such key and needs a restart) its
/// replacement when the key store or trust store file changes: every change in their directories
/// re-reads both files, and when their bytes differ from the loaded ones, loads them. Watching the
/// directories, not the files, also catches a file replaced by a rename or a symbolic link swapped
/// (Kubernetes secret volumes). A store that does not load (e.g. half written) is logged and the old
/// snapshot kept; the next change tries again. Connections already open keep the certificate they
/// were made with.
/// </summary>
public sealed partial class TlsCertificateSource : IDisposable
{
    private readonly GatewayOptions _options;
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Lock _reloadLock = new();
    private volatile TlsEndpoint _current;
    private (byte[] KeyStore, byte[] TrustStore) _loadedHashes;

    /// <summary>Reads the stores now: a bad store is a start-up error (<see cref="GatewayConfigurationException"/>).</summary>
    public TlsCertificateSource(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _loadedHashes = Hashes();
        _current = TlsEndpoint.Create(options);
    }

    /// <summary>With <c>client.certReload</c>, starts watching the stores' directories, logging reloads to <paramref name="logger"/>.</summary>
    public void StartWatching(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        if (_options.Tls.CertReload && _watchers.Count == 0)
        {
            foreach (var directory in StoreDirectories())
            {
                var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false };
                watcher.Changed += (_, _) => Reload();
                watcher.Created += (_, _) => Reload();
                watcher.Renamed += (_, _) => Reload();
                watcher.Error += (_, _) => Reload(); // an overflow may have lost events: check anyway
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
        }
    }

    /// <summary>The snapshot new connections get now.</summary>
    public TlsEndpoint Current => _current;

    /// <summary>Kestrel's TLS middleware options: each handshake takes the snapshot current at its start.</summary>
    public TlsHandshakeCallbackOptions HandshakeOptions() => new()
    {
        HandshakeTimeout = TimeSpan.FromMilliseconds(_options.Tls.HandshakeTimeoutMillis),
        OnConnection = _ => ValueTask.FromResult(_current.ServerOptions()),
    };

    /// <summary>Loads the stores again if their bytes changed; keeps the current snapshot when they do not load.</summary>
    public void Reload()
    {
        lock (_reloadLock)
        {
            var hashes = Hashes();
            if (hashes.KeyStore.AsSpan().SequenceEqual(_loadedHashes.KeyStore) && hashes.TrustStore.AsSpan().SequenceEqual(_loadedHashes.TrustStore))
            {
                return;
            }
            try
            {
                _current = TlsEndpoint.Create(_options);
                _loadedHashes = hashes;
                Log.Reloaded(_logger, _current.Certificate.Subject, _current.Certificate.Thumbprint);
            }
            catch (GatewayConfigurationException e)
            {
                Log.ReloadFailed(_logger, e.Message);
            }
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
        _watchers.Clear();
    }

    private IEnumerable<string> StoreDirectories() =>
        new[] { _options.Tls.KeyStoreLocation, _options.Tls.TrustStoreLocation }
            .Where(p => !string.IsNullOrEmpty(p))
            .Select(p => Path.GetDirectoryName(Path.GetFullPath(p!))!)
            .Distinct(StringComparer.Ordinal);

    /// <summary>SHA-256 of each store file as it is now (empty when absent or unreadable).</summary>
    private (byte[] KeyStore, byte[] TrustStore) Hashes() => (Hash(_options.Tls.KeyStoreLocation), Hash(_options.Tls.TrustStoreLocation));

    private static byte[] Hash(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return [];
        }
        try
        {
            return SHA256.HashData(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "TLS stores reloaded: new connections get the certificate {Subject} ({Thumbprint})")]
        public static partial void Reloaded(ILogger logger, string subject, string thumbprint);

        [LoggerMessage(Level = LogLevel.Warning, Message = "TLS stores changed but do not load; new connections keep the previous certificate: {Reason}")]
        public static partial void ReloadFailed(ILogger logger, string reason);
    }
}
