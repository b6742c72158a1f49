using System.Globalization;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;

namespace ZkGateway.FunctionHost;

/// <summary>
/// The function host's configuration, read once per process and used by the host mode and by Lambda
/// alike: each setting from <c>--key=value</c> on the command line, else from its ZKGW_* variable
/// (deploy/aws/template.yaml sets those for the Lambda functions), else ZooKeeper's default.
/// <code>
///   command line                              environment                                 default
///   --tickTime=MS                             ZKGW_TICK_TIME                              2000
///   --heartbeatIntervalMs=MS                  ZKGW_HEARTBEAT_INTERVAL_MS                  60000 (EventBridge's schedule)
///   --zookeeper.extendedTypesEnabled=true     ZKGW_EXTENDED_TYPES_ENABLED                 false
///   --zookeeper.enforceQuota=true             ZKGW_ENFORCE_QUOTA                          false
///   --znode.container.checkIntervalMs=MS      ZKGW_CONTAINER_CHECK_INTERVAL_MS            60000
///   --znode.container.maxPerMinute=N          ZKGW_CONTAINER_MAX_PER_MINUTE               10000
///   --znode.container.maxNeverUsedIntervalMs  ZKGW_CONTAINER_MAX_NEVER_USED_INTERVAL_MS   0 (kept for ever)
///   --maxWriteBatch=N                         ZKGW_MAX_WRITE_BATCH                        256
///   --aws.deployment|region|dynamodb|s3|sqs|bucket|userStorage   ZKGW_AWS_* (AwsSettings.FromEnvironment)
/// </code>
/// The gateway takes the same ZooKeeper keys. A number that does not parse or is out of range leaves
/// the default, as the host mode always did; an unknown aws.userStorage is an error.
/// </summary>
internal sealed class FunctionHostConfiguration
{
    /// <summary>The settings the template sets on the Lambda functions, besides the ZKGW_AWS_* ones.</summary>
    internal static class Variables
    {
        public const string TickTime = "ZKGW_TICK_TIME";
        public const string HeartbeatIntervalMs = "ZKGW_HEARTBEAT_INTERVAL_MS";
        public const string ExtendedTypesEnabled = "ZKGW_EXTENDED_TYPES_ENABLED";
        public const string EnforceQuota = "ZKGW_ENFORCE_QUOTA";
        public const string ContainerCheckIntervalMs = "ZKGW_CONTAINER_CHECK_INTERVAL_MS";
        public const string ContainerMaxPerMinute = "ZKGW_CONTAINER_MAX_PER_MINUTE";
        public const string ContainerMaxNeverUsedIntervalMs = "ZKGW_CONTAINER_MAX_NEVER_USED_INTERVAL_MS";
        public const string MaxWriteBatch = "ZKGW_MAX_WRITE_BATCH";
    }

    private FunctionHostConfiguration(AwsSettings aws, BackendOptions backend)
    {
        Aws = aws;
        Backend = backend;
    }

    /// <summary>The deployment the functions serve.</summary>
    public AwsSettings Aws { get; }

    /// <summary>The functions' backend options.</summary>
    public BackendOptions Backend { get; }

    /// <summary>From this process's command line options and environment.</summary>
    public static FunctionHostConfiguration FromProcess(IReadOnlyList<string> options) => From(options, Environment.GetEnvironmentVariable);

    /// <summary>From <paramref name="options"/> (the <c>--key=value</c> arguments) over <paramref name="environment"/>.</summary>
    /// <exception cref="ArgumentException">An aws.* setting is invalid.</exception>
    public static FunctionHostConfiguration From(IReadOnlyList<string> options, Func<string, string?> environment)
    {
        string? Get(string key, string variable) => Option(options, key) ?? (environment(variable) is { Length: > 0 } value ? value : null);
        var defaults = new BackendOptions();
        var backend = new BackendOptions
        {
            TickTime = Positive(Get("tickTime", Variables.TickTime), defaults.TickTime),
            // The host's heartbeat pass; on Lambda the schedule decides (tests make it short).
            HeartbeatIntervalMs = Positive(Get("heartbeatIntervalMs", Variables.HeartbeatIntervalMs), defaults.HeartbeatIntervalMs),
            ExtendedTypesEnabled = Get("zookeeper.extendedTypesEnabled", Variables.ExtendedTypesEnabled) == "true",
            EnforceQuota = Get("zookeeper.enforceQuota", Variables.EnforceQuota) == "true",
            // The reaper's settings, under ZooKeeper's names (as the gateway takes them).
            ContainerCheckIntervalMs = Positive(Get("znode.container.checkIntervalMs", Variables.ContainerCheckIntervalMs), defaults.ContainerCheckIntervalMs),
            ContainerMaxPerMinute = Positive(Get("znode.container.maxPerMinute", Variables.ContainerMaxPerMinute), defaults.ContainerMaxPerMinute),
            ContainerMaxNeverUsedIntervalMs = long.TryParse(Get("znode.container.maxNeverUsedIntervalMs", Variables.ContainerMaxNeverUsedIntervalMs), NumberStyles.Integer, CultureInfo.InvariantCulture, out long neverUsed) && neverUsed >= 0
                ? neverUsed
                : defaults.ContainerMaxNeverUsedIntervalMs,
            MaxWriteBatch = Positive(Get("maxWriteBatch", Variables.MaxWriteBatch), defaults.MaxWriteBatch),
        };
        return new FunctionHostConfiguration(AwsFrom(options, environment), backend);
    }

    /// <summary>The deployment from --aws.* options over the ZKGW_AWS_* environment (the gateway takes the same keys).</summary>
    private static AwsSettings AwsFrom(IReadOnlyList<string> options, Func<string, string?> environment) =>
        AwsSettings.FromEnvironment(Option(options, "aws.deployment"), environment).WithOverrides(
            Option(options, "aws.region"), Option(options, "aws.dynamodb"), Option(options, "aws.s3"), Option(options, "aws.sqs"),
            Option(options, "aws.bucket"), Option(options, "aws.userStorage"), Option(options, "aws.writePath"));

    /// <summary>The value of the last <c>--name=value</c> among <paramref name="options"/>, or null.</summary>
    public static string? Option(IReadOnlyList<string> options, string name)
    {
        var prefix = $"--{name}=";
        return options.LastOrDefault(o => o.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }

    private static int Positive(string? value, int fallback) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) && parsed > 0 ? parsed : fallback;
}
