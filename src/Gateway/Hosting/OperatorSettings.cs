using System.Globalization;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// The AdminServer keys, with ZooKeeper 3.8.0's names and defaults (JettyAdminServer). ZooKeeper reads
/// them as the system properties <c>zookeeper.admin.*</c>; its zoo.cfg parser turns an unknown
/// <c>admin.x</c> into <c>zookeeper.admin.x</c>, so both spellings are accepted.
/// </summary>
public sealed class AdminServerSettings
{
    /// <summary><c>admin.enableServer</c>: on by default, as in 3.8.0.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>admin.serverAddress</c>: all interfaces by default.</summary>
    public string Address { get; set; } = "0.0.0.0";

    /// <summary><c>admin.serverPort</c>: 8080 by default (0 = any free port, for tests).</summary>
    public int Port { get; set; } = 8080;

    /// <summary><c>admin.commandURL</c>: the path the commands live under.</summary>
    public string CommandUrl { get; set; } = "/commands";

    /// <summary><c>admin.idleTimeout</c> in ms: how long an idle HTTP connection stays open (Jetty's default 30 s).</summary>
    public int IdleTimeoutMs { get; set; } = 30_000;

    /// <summary><c>admin.snapshot.enabled</c> (3.9.0): the snapshot command that streams an online backup; on by default, as in 3.9.</summary>
    public bool SnapshotEnabled { get; set; } = true;

    /// <summary><c>admin.rateLimiterIntervalInMS</c> (3.9.0): at most one snapshot per interval; 5 minutes by default.</summary>
    public int RateLimiterIntervalMs { get; set; } = 300_000;
}

/// <summary>
/// The <c>metricsProvider.*</c> keys (ServerConfig.getMetricsProviderConfiguration and
/// PrometheusMetricsProvider.configure in 3.8.0). Without <c>metricsProvider.className</c> ZooKeeper
/// runs its DefaultMetricsProvider, which only feeds mntr and the AdminServer's monitor command.
/// </summary>
public sealed class MetricsProviderSettings
{
    /// <summary>The class name that turns the Prometheus endpoint on.</summary>
    public const string PrometheusClassName = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";

    /// <summary>3.8.0's default provider (mntr and monitor only), named explicitly or by default.</summary>
    public const string DefaultClassName = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider";

    /// <summary>Whether <c>metricsProvider.className</c> names the Prometheus provider.</summary>
    public bool PrometheusEnabled { get; set; }

    /// <summary><c>metricsProvider.httpHost</c>: 0.0.0.0 by default.</summary>
    public string HttpHost { get; set; } = "0.0.0.0";

    /// <summary><c>metricsProvider.httpPort</c>: 7000 by default (0 = any free port, for tests).</summary>
    public int HttpPort { get; set; } = 7000;

    /// <summary><c>metricsProvider.exportJvmInfo</c>: true by default; here the .NET runtime's metrics.</summary>
    public bool ExportRuntimeInfo { get; set; } = true;
}

/// <summary>Applies the <c>admin.*</c> and <c>metricsProvider.*</c> keys to <see cref="GatewayOptions"/>.</summary>
public static class OperatorKeys
{
    private const string AdminPrefix = "admin.";
    private const string SystemAdminPrefix = "zookeeper.admin.";
    private const string MetricsPrefix = "metricsProvider.";

    /// <summary>True for a key this class owns (other <c>admin.*</c> keys of 3.8.0, e.g. portUnification, are among them and ignored).</summary>
    public static bool Owns(string key) =>
        key.StartsWith(AdminPrefix, StringComparison.Ordinal) || key.StartsWith(SystemAdminPrefix, StringComparison.Ordinal)
        || key.StartsWith(MetricsPrefix, StringComparison.Ordinal);

    /// <summary>Applies one owned key; an unknown name under the prefixes stays in Raw only, as ZooKeeper ignores it.</summary>
    /// <exception cref="GatewayConfigurationException">When the value is invalid.</exception>
    public static void Apply(GatewayOptions options, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (key.StartsWith(MetricsPrefix, StringComparison.Ordinal))
        {
            ApplyMetrics(options.MetricsProvider, key, key[MetricsPrefix.Length..], value);
            return;
        }
        string name = key.StartsWith(SystemAdminPrefix, StringComparison.Ordinal) ? key[SystemAdminPrefix.Length..] : key[AdminPrefix.Length..];
        var admin = options.Admin;
        switch (name)
        {
            case "enableServer":
                // Boolean.parseBoolean: anything but "true" (any case) is false.
                admin.Enabled = string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
                break;
            case "serverAddress":
                admin.Address = Address(key, value);
                break;
            case "serverPort":
                admin.Port = Port(key, value);
                break;
            case "commandURL":
                admin.CommandUrl = value.Length > 1 && value[0] == '/' && !value.EndsWith('/')
                    ? value
                    : throw new GatewayConfigurationException(key, value, "must be a path such as /commands");
                break;
            case "idleTimeout":
                admin.IdleTimeoutMs = Int(key, value, 1);
                break;
            case "snapshot.enabled":
                admin.SnapshotEnabled = string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
                break;
            case "rateLimiterIntervalInMS":
                admin.RateLimiterIntervalMs = Int(key, value, 0);
                break;
            default:
                break;
        }
    }

    private static void ApplyMetrics(MetricsProviderSettings metrics, string key, string name, string value)
    {
        switch (name)
        {
            case "className":
                metrics.PrometheusEnabled = value switch
                {
                    MetricsProviderSettings.PrometheusClassName => true,
                    MetricsProviderSettings.DefaultClassName or "" => false,
                    // 3.8.0 cannot load another class and refuses to start ("Cannot boot MetricsProvider").
                    _ => throw new GatewayConfigurationException(key, value,
                        $"must be {MetricsProviderSettings.PrometheusClassName} or {MetricsProviderSettings.DefaultClassName}"),
                };
                break;
            case "httpHost":
                metrics.HttpHost = Address(key, value);
                break;
            case "httpPort":
                metrics.HttpPort = Port(key, value);
                break;
            case "exportJvmInfo":
                metrics.ExportRuntimeInfo = string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
                break;
            default:
                break;
        }
    }

    private static string Address(string key, string value) =>
        System.Net.IPAddress.TryParse(value, out _) || value == "localhost"
            ? value
            : throw new GatewayConfigurationException(key, value, "must be an IP address");

    private static int Port(string key, string value)
    {
        int port = Int(key, value, 0);
        return port <= 65535 ? port : throw new GatewayConfigurationException(key, value, "must be between 0 and 65535");
    }

    private static int Int(string key, string value, int min) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= min
            ? v
            : throw new GatewayConfigurationException(key, value, $"must be an integer of at least {min}");
}
