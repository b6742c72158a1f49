namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// Effective server configuration, with ZooKeeper's key names and defaults (zoo.cfg semantics).
/// Built by <see cref="ZooCfg"/>; registered as a singleton by <see cref="GatewayHost"/>.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>ZooKeeper's default whitelist since 3.5.3: <c>srvr</c> only (srvr is always enabled).</summary>
    public static readonly IReadOnlySet<string> DefaultFourLetterWordWhitelist = new HashSet<string>(StringComparer.Ordinal) { "srvr" };

    /// <summary><c>clientPort</c>; default 2181.</summary>
    public int ClientPort { get; set; } = 2181;

    /// <summary><c>clientPortAddress</c>; ZooKeeper binds all interfaces by default, we default to loopback.</summary>
    public string ClientPortAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// <c>secureClientPort</c>: the TLS client port; -1 (default) = none. When it is configured and
    /// <c>clientPort</c> is not, there is no plaintext port (<see cref="ClientPort"/> is -1), as in ZooKeeper.
    /// </summary>
    public int SecureClientPort { get; set; } = -1;

    /// <summary><c>secureClientPortAddress</c>; default <see cref="ClientPortAddress"/>.</summary>
    public string? SecureClientPortAddress { get; set; }

    /// <summary>The address the TLS port binds.</summary>
    public string EffectiveSecureClientPortAddress => SecureClientPortAddress ?? ClientPortAddress;

    /// <summary>The <c>ssl.*</c> keys of the TLS port.</summary>
    public TlsSettings Tls { get; } = new();

    /// <summary>
    /// Whether the x509 scheme is registered: a <c>zookeeper.authProvider.*</c> (zoo.cfg: <c>authProvider.*</c>)
    /// key names <c>org.apache.zookeeper.server.auth.X509AuthenticationProvider</c>. 3.8.0 closes a TLS
    /// connection that presented a certificate when it is not (AUTH_PROVIDER_NOT_FOUND).
    /// </summary>
    public bool X509ProviderEnabled { get; set; }

    /// <summary>
    /// <c>client.portUnification</c> (<c>zookeeper.client.portUnification</c>, true when "true" in any case,
    /// as Java's Boolean.getBoolean): TLS and plaintext clients on <c>clientPort</c>, with the <c>ssl.*</c> keys
    /// of the secure port. 3.8.0 reads it in NettyServerCnxnFactory (the NIO factory ignores it).
    /// </summary>
    public bool PortUnification { get; set; }

    /// <summary><c>zookeeper.X509AuthenticationProvider.superUser</c>: the subject DN that also gets <c>super</c>.</summary>
    public string? X509SuperUser { get; set; }

    /// <summary>SASL (DIGEST-MD5) and enforce.auth, read from <see cref="Raw"/> and the JAAS file by <see cref="ZooCfg"/>.</summary>
    public Sasl.SaslSettings Sasl { get; set; } = Gateway.Sasl.SaslSettings.Disabled;

    /// <summary><c>dataDir</c>; default <c>./zkdata</c> under the current directory.</summary>
    public string DataDir { get; set; } = Path.Combine(Environment.CurrentDirectory, "zkdata");

    /// <summary><c>dataLogDir</c>; defaults to <see cref="DataDir"/> like ZooKeeper.</summary>
    public string? DataLogDir { get; set; }

    /// <summary><c>tickTime</c> in ms; default 2000 (the sample zoo.cfg value).</summary>
    public int TickTime { get; set; } = 2000;

    /// <summary><c>minSessionTimeout</c> in ms; -1 means 2×tickTime.</summary>
    public int MinSessionTimeout { get; set; } = -1;

    /// <summary><c>maxSessionTimeout</c> in ms; -1 means 20×tickTime.</summary>
    public int MaxSessionTimeout { get; set; } = -1;

    /// <summary><c>maxClientCnxns</c>: concurrent connections per client IP; 0 = unlimited.</summary>
    public int MaxClientCnxns { get; set; } = 60;

    /// <summary><c>jute.maxbuffer</c>: largest accepted frame in bytes; default 0xfffff.</summary>
    public int JuteMaxBuffer { get; set; } = 0xfffff;

    /// <summary>
    /// <c>4lw.commands.whitelist</c>. ZooKeeper's default is <c>srvr</c> only; <c>*</c> enables all.
    /// <c>srvr</c> is always enabled (zkServer.sh depends on it), as in ZooKeeper.
    /// Readiness probes that use <c>ruok</c> need <c>--4lw.commands.whitelist=*</c> (or <c>ruok</c>).
    /// </summary>
    public ISet<string> FourLetterWordWhitelist { get; set; } = new HashSet<string>(DefaultFourLetterWordWhitelist, StringComparer.Ordinal);

    /// <summary><c>zookeeper.extendedTypesEnabled</c> (TTL nodes); default false.</summary>
    public bool ExtendedTypesEnabled { get; set; }

    /// <summary><c>zookeeper.enforceQuota</c> (hard quotas fail writes, soft ones are logged); default false.</summary>
    public bool EnforceQuota { get; set; }

    /// <summary>
    /// <c>snapSizeLimitInKb</c> (ZooKeeper's <c>zookeeper.snapSizeLimitInKb</c>): the embedded store takes
    /// a snapshot once this much log has been written since the last one (and at least the last
    /// snapshot's size); default 64 MiB here, 4 GiB in ZooKeeper (which also counts transactions).
    /// </summary>
    public long SnapshotLogBytes { get; set; } = 64L << 20;

    /// <summary>
    /// <c>memoryTrimIdleMs</c> (our extension): after this long without allocation to speak of, following
    /// a burst, the gateway returns the memory the burst left committed to the OS (<see cref="IdleMemoryTrimPolicy"/>);
    /// 0 turns it off. Default 1000.
    /// </summary>
    public int MemoryTrimIdleMs { get; set; } = 1000;

    /// <summary><c>znode.container.checkIntervalMs</c>: how often container and TTL nodes are reaped; default 60 000 ms.</summary>
    public int ContainerCheckIntervalMs { get; set; } = 60_000;

    /// <summary><c>znode.container.maxPerMinute</c>: at most this many reaper deletions a minute; default 10 000.</summary>
    public int ContainerMaxPerMinute { get; set; } = 10_000;

    /// <summary><c>znode.container.maxNeverUsedIntervalMs</c>: reap never-used containers after this long; 0 (default) never.</summary>
    public long ContainerMaxNeverUsedIntervalMs { get; set; }

    /// <summary>Server id, the top byte of session ids; 0 for standalone.</summary>
    public long ServerId { get; set; }

    /// <summary>
    /// How long a new connection may take to send its ConnectRequest (or 4lw) before it is closed
    /// (<c>handshakeTimeoutMs</c>, our extension; default 10 000 ms).
    /// </summary>
    public int HandshakeTimeoutMs { get; set; } = 10_000;

    /// <summary>
    /// <c>inlineScheduling</c> (our extension): run a connection's read loop and its socket sends on the
    /// thread that completed the socket operation instead of queueing them to the thread pool (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c>; with <see cref="GatewayHost.RunAsync(string[], IReadOnlyList{IBackendProvider})"/> also the
    /// runtime's inline socket completions). Saves two thread hand-offs per request: get p50 −10–15%
    /// on our 2-core machine (docs/performance.md). Safe only because nothing on those paths blocks:
    /// the embedded backend answers reads from memory and hands writes to its own threads. Default:
    /// on for the embedded backend, off for AWS (the AWS SDK's HTTP calls would then complete on the
    /// socket engine's thread, where any sync-over-async inside the SDK could stall every socket).
    /// </summary>
    public bool? InlineScheduling { get; set; }

    /// <summary>Whether <see cref="InlineScheduling"/> is in effect (its default depends on the backend).</summary>
    public bool UsesInlineScheduling => InlineScheduling ?? Backend == "embedded";

    /// <summary>
    /// <c>epochWaitMs</c> (our extension, AWS backend): how long a direct read may wait for this
    /// gateway's inbox to deliver the watch events its node's epoch stamp names before it is answered
    /// anyway (counted in mntr); default 2000 (docs/serverless.md).
    /// </summary>
    public int EpochWaitMs { get; set; } = 2000;

    /// <summary>
    /// <c>livenessRenewalMs</c> (our extension, AWS backend): how often a gateway that serves sessions
    /// renews its liveness, which stands for all of them (one write unit per renewal; none while it
    /// serves no session; each valid for one and a half periods); default 90000. Shorter expires a dead gateway's sessions sooner and costs
    /// more (docs/serverless.md, "Idle cost").
    /// </summary>
    public int LivenessRenewalMs { get; set; } = 90_000;

    /// <summary>
    /// <c>heartbeatIntervalMs</c> (our extension, AWS gateway write path): how often the gateway looks
    /// for dead gateways' sessions to expire (the heartbeat function's pass, which on that path every
    /// gateway runs); default 60000, EventBridge's schedule on the queue path.
    /// </summary>
    public int HeartbeatIntervalMs { get; set; } = 60_000;

    /// <summary><c>backend</c>: <c>embedded</c> (default; SQLite in <see cref="DataDir"/>) or <c>aws</c> (the AWS provider set).</summary>
    public string Backend { get; set; } = "embedded";

    /// <summary>
    /// <c>gatewayId</c>: this gateway's name in reply addresses and its inbox queue's name (letters,
    /// digits, '-' and '_'). Default: "embedded" on the embedded backend, a random id on AWS.
    /// </summary>
    public string? GatewayId { get; set; }

    /// <summary><c>admin.*</c> keys: the AdminServer (docs/operations.md).</summary>
    public AdminServerSettings Admin { get; } = new();

    /// <summary><c>metricsProvider.*</c> keys: the Prometheus endpoint (docs/operations.md).</summary>
    public MetricsProviderSettings MetricsProvider { get; } = new();

    /// <summary><c>aws.*</c> keys: the deployment, endpoints (emulators) and user-storage mode of the AWS backend.</summary>
    public AwsGatewaySettings Aws { get; } = new();

    /// <summary><c>clientPortListenBacklog</c>; -1 = platform default.</summary>
    public int ClientPortListenBacklog { get; set; } = -1;

    /// <summary>Console logging at Information/Debug instead of Warning (<c>--verbose</c>).</summary>
    public bool Verbose { get; set; }

    /// <summary>Every key seen, file then command line, later values winning (for <c>conf</c> and extensions).</summary>
    public Dictionary<string, string> Raw { get; } = new(StringComparer.Ordinal);

    /// <summary>The effective minimum session timeout: <see cref="MinSessionTimeout"/>, or 2×tickTime when -1.</summary>
    public int EffectiveMinSessionTimeout => MinSessionTimeout == -1 ? TickTime * 2 : MinSessionTimeout;

    /// <summary>The effective maximum session timeout: <see cref="MaxSessionTimeout"/>, or 20×tickTime when -1.</summary>
    public int EffectiveMaxSessionTimeout => MaxSessionTimeout == -1 ? TickTime * 20 : MaxSessionTimeout;

    /// <summary>The effective transaction log directory (<see cref="DataLogDir"/> or <see cref="DataDir"/>).</summary>
    public string EffectiveDataLogDir => DataLogDir ?? DataDir;

    /// <summary>
    /// ZooKeeper's negotiation: clamp the client's requested timeout to [min, max]
    /// (ZooKeeperServer.processConnectRequest).
    /// </summary>
    public int ClampSessionTimeout(int requested)
    {
        int min = EffectiveMinSessionTimeout, max = EffectiveMaxSessionTimeout;
        if (requested < min)
        {
            return min;
        }
        return requested > max ? max : requested;
    }

    /// <summary>True when the four-letter word may run: whitelisted, <c>*</c>, or <c>srvr</c>.</summary>
    public bool IsFourLetterWordEnabled(string command) =>
        command == "srvr" || FourLetterWordWhitelist.Contains("*") || FourLetterWordWhitelist.Contains(command);

    /// <summary>Checks cross-field consistency; throws <see cref="GatewayConfigurationException"/>.</summary>
    public void Validate()
    {
        if (ClientPort is < -1 or > 65535 || (ClientPort == -1 && SecureClientPort == -1))
        {
            throw new GatewayConfigurationException("clientPort", ClientPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be between 0 and 65535");
        }
        if (SecureClientPort != -1 || PortUnification)
        {
            ValidateTls();
        }
        if (!System.Net.IPAddress.TryParse(ClientPortAddress, out _))
        {
            throw new GatewayConfigurationException("clientPortAddress", ClientPortAddress, "must be an IP address");
        }
        if (TickTime <= 0)
        {
            throw new GatewayConfigurationException("tickTime", TickTime.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be positive");
        }
        if (EffectiveMinSessionTimeout > EffectiveMaxSessionTimeout)
        {
            throw new GatewayConfigurationException("minSessionTimeout",
                EffectiveMinSessionTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"must not be larger than maxSessionTimeout ({EffectiveMaxSessionTimeout})");
        }
        if (MaxClientCnxns < 0)
        {
            throw new GatewayConfigurationException("maxClientCnxns", MaxClientCnxns.ToString(System.Globalization.CultureInfo.InvariantCulture), "must not be negative");
        }
        if (JuteMaxBuffer <= 0)
        {
            throw new GatewayConfigurationException("jute.maxbuffer", JuteMaxBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be positive");
        }
        if (HandshakeTimeoutMs <= 0)
        {
            throw new GatewayConfigurationException("handshakeTimeoutMs", HandshakeTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be positive");
        }
    }

    private void ValidateTls()
    {
        if (SecureClientPort is < -1 or > 65535) // -1: no secure port (port unification alone)
        {
            throw new GatewayConfigurationException("secureClientPort", SecureClientPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be between 0 and 65535");
        }
        if (!System.Net.IPAddress.TryParse(EffectiveSecureClientPortAddress, out _))
        {
            throw new GatewayConfigurationException("secureClientPortAddress", EffectiveSecureClientPortAddress, "must be an IP address");
        }
        if (string.IsNullOrEmpty(Tls.KeyStoreLocation))
        {
            throw new GatewayConfigurationException("ssl.keyStore.location", "", "must be set when secureClientPort or client.portUnification is (the server's key and certificate)");
        }
        if (Tls.ClientAuth != TlsClientAuth.None && string.IsNullOrEmpty(Tls.TrustStoreLocation))
        {
            throw new GatewayConfigurationException("ssl.trustStore.location", "", "must be set unless ssl.clientAuth=none (client certificates are checked against it)");
        }
    }
}

/// <summary>A bad configuration value or argument; the message names the key.</summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException(string message) : base(message) { }

    public GatewayConfigurationException(string message, Exception inner) : base(message, inner) { }

    public GatewayConfigurationException(string key, string value, string problem)
        : base($"Invalid configuration: {key}={value}: {problem}")
    {
        Key = key;
    }

    /// <summary>The offending key, when there is one.</summary>
    public string? Key { get; }
}

/// <summary>
/// The <c>aws.*</c> configuration keys: <c>aws.deployment</c>, <c>aws.region</c>, <c>aws.dynamodb</c>,
/// <c>aws.s3</c>, <c>aws.sqs</c> (endpoint URLs; unset = AWS itself), <c>aws.userStorage</c>
/// (<c>persistent</c> | <c>key-value</c>), <c>aws.writePath</c> (<c>queue</c> | <c>gateway</c>), <c>aws.bucket</c>. Unset keys fall back to the ZKGW_AWS_*
/// environment variables.
/// </summary>
public sealed class AwsGatewaySettings
{
    public string? Deployment { get; set; }

    public string? Region { get; set; }

    public string? DynamoDb { get; set; }

    public string? S3 { get; set; }

    public string? Sqs { get; set; }

    public string? UserStorage { get; set; }

    public string? WritePath { get; set; }

    public string? Bucket { get; set; }
}
