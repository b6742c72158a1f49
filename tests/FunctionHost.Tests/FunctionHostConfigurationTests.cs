using System.Text.RegularExpressions;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>
/// The function host builds its settings in one place for the host mode and Lambda alike: the command
/// line over the ZKGW_* environment over ZooKeeper's defaults.
/// </summary>
public sealed partial class FunctionHostConfigurationTests
{
    private static readonly Dictionary<string, string> EveryVariable = new()
    {
        ["ZKGW_TICK_TIME"] = "500",
        ["ZKGW_EXTENDED_TYPES_ENABLED"] = "true",
        ["ZKGW_CONTAINER_CHECK_INTERVAL_MS"] = "1000",
        ["ZKGW_CONTAINER_MAX_PER_MINUTE"] = "60",
        ["ZKGW_CONTAINER_MAX_NEVER_USED_INTERVAL_MS"] = "30000",
        ["ZKGW_MAX_WRITE_BATCH"] = "32",
        ["ZKGW_AWS_DEPLOYMENT"] = "from-env",
        ["ZKGW_AWS_REGION"] = "eu-west-1",
        ["ZKGW_AWS_USER_STORAGE"] = "key-value",
        ["ZKGW_AWS_BUCKET"] = "env-bucket",
    };

    [Fact]
    public void Without_options_or_environment_every_setting_has_its_default()
    {
        var configuration = FunctionHostConfiguration.From([], _ => null);

        Assert.Equal((2000, false, 60_000, 10_000, 0L, 256), BackendSettings(configuration));
        Assert.Equal(BackendSettings(new BackendOptions()), BackendSettings(configuration));
        Assert.Equal(("zkgateway", "us-east-1", UserStorageMode.Persistent, (string?)null), AwsSettings(configuration));
        Assert.Null(configuration.Aws.AccessKey);
    }

    [Fact]
    public void The_environment_alone_sets_every_option_as_lambda_receives_them()
    {
        var configuration = FunctionHostConfiguration.From([], EveryVariable.GetValueOrDefault);

        Assert.Equal((500, true, 1000, 60, 30000L, 32), BackendSettings(configuration));
        Assert.Equal(("from-env", "eu-west-1", UserStorageMode.KeyValue, "env-bucket"), AwsSettings(configuration));
    }

    [Fact]
    public void The_command_line_wins_over_the_environment()
    {
        string[] options =
        [
            "--tickTime=250", "--zookeeper.extendedTypesEnabled=false", "--znode.container.checkIntervalMs=2000",
            "--znode.container.maxPerMinute=120", "--znode.container.maxNeverUsedIntervalMs=0", "--maxWriteBatch=8",
            "--aws.deployment=from-args", "--aws.region=us-west-2", "--aws.userStorage=persistent", "--aws.bucket=arg-bucket",
        ];

        var configuration = FunctionHostConfiguration.From(options, EveryVariable.GetValueOrDefault);

        Assert.Equal((250, false, 2000, 120, 0L, 8), BackendSettings(configuration));
        Assert.Equal(("from-args", "us-west-2", UserStorageMode.Persistent, "arg-bucket"), AwsSettings(configuration));
    }

    [Fact]
    public void The_heartbeat_interval_defaults_to_the_lambda_schedule_and_can_be_set()
    {
        Assert.Equal(60_000, FunctionHostConfiguration.From([], _ => null).Backend.HeartbeatIntervalMs);
        var environment = new Dictionary<string, string> { ["ZKGW_HEARTBEAT_INTERVAL_MS"] = "5000" };
        Assert.Equal(5000, FunctionHostConfiguration.From([], environment.GetValueOrDefault).Backend.HeartbeatIntervalMs);
        Assert.Equal(1000, FunctionHostConfiguration.From(["--heartbeatIntervalMs=1000"], environment.GetValueOrDefault).Backend.HeartbeatIntervalMs);
        Assert.Equal(60_000, FunctionHostConfiguration.From(["--heartbeatIntervalMs=0"], _ => null).Backend.HeartbeatIntervalMs);
    }

    [Fact]
    public void The_last_occurrence_of_an_option_counts()
    {
        var configuration = FunctionHostConfiguration.From(["--tickTime=100", "--tickTime=300"], _ => null);

        Assert.Equal(300, configuration.Backend.TickTime);
    }

    [Theory]
    [InlineData("banana")]
    [InlineData("0")]
    [InlineData("-5")]
    public void A_number_that_does_not_parse_or_is_out_of_range_keeps_the_default(string value)
    {
        string[] options = [$"--tickTime={value}", $"--znode.container.checkIntervalMs={value}", $"--znode.container.maxPerMinute={value}", $"--maxWriteBatch={value}"];

        var configuration = FunctionHostConfiguration.From(options, _ => null);

        Assert.Equal(BackendSettings(new BackendOptions()), BackendSettings(configuration));
    }

    [Fact]
    public void An_unknown_user_storage_mode_is_a_usage_error()
    {
        var e = Assert.Throws<ArgumentException>(() => FunctionHostConfiguration.From(["--aws.userStorage=tape"], _ => null));

        Assert.Contains("tape", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Emulator_endpoints_without_credentials_get_the_dummy_ones()
    {
        var configuration = FunctionHostConfiguration.From(["--aws.sqs=http://127.0.0.1:9324"], _ => null);

        Assert.Equal("http://127.0.0.1:9324", configuration.Aws.SqsEndpoint);
        Assert.Equal("test", configuration.Aws.AccessKey);
        Assert.Equal("test", configuration.Aws.SecretKey);
    }

    [Fact]
    public void Every_zkgw_variable_the_template_sets_on_the_functions_is_read()
    {
        var read = new HashSet<string>(StringComparer.Ordinal);
        FunctionHostConfiguration.From([], name =>
        {
            read.Add(name);
            return null;
        });
        var template = File.ReadAllText(Path.Combine(DeploymentFilesTests.RepositoryRoot(), "deploy", "aws", "template.yaml"));

        var set = TemplateVariable().Matches(template).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.NotEmpty(set);
        Assert.All(set, variable => Assert.Contains(variable, read));
    }

    /// <summary>The backend options the configuration sets, in the order of the class's table.</summary>
    private static (int TickTime, bool ExtendedTypes, int CheckIntervalMs, int MaxPerMinute, long MaxNeverUsedIntervalMs, int MaxWriteBatch) BackendSettings(FunctionHostConfiguration configuration) =>
        BackendSettings(configuration.Backend);

    private static (int TickTime, bool ExtendedTypes, int CheckIntervalMs, int MaxPerMinute, long MaxNeverUsedIntervalMs, int MaxWriteBatch) BackendSettings(BackendOptions o)
    {
        return (o.TickTime, o.ExtendedTypesEnabled, o.ContainerCheckIntervalMs, o.ContainerMaxPerMinute, o.ContainerMaxNeverUsedIntervalMs, o.MaxWriteBatch);
    }

    private static (string Deployment, string Region, UserStorageMode UserStorage, string? Bucket) AwsSettings(FunctionHostConfiguration configuration)
    {
        var a = configuration.Aws;
        return (a.DeploymentName, a.Region, a.UserStorage, a.BucketNameOverride);
    }

    /// <summary>A variable in a function's Environment.Variables: "          ZKGW_NAME: value".</summary>
    [GeneratedRegex(@"^\s+(ZKGW_[A-Z0-9_]+):", RegexOptions.Multiline)]
    private static partial Regex TemplateVariable();
}
