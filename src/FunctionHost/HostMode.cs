using System.Runtime.InteropServices;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Metering;

namespace ZkGateway.FunctionHost;

/// <summary>
/// <c>ZkGateway.FunctionHost host</c>: the writer and distributor in one process that polls their SQS
/// FIFO queues, for containers (docker/compose.yaml) and for the tests on the emulators. The same
/// <see cref="AwsFunctions"/> serve Lambda invocations (<see cref="Functions.FunctionCatalog"/>).
/// <code>
///   host [--provision] [--aws.deployment=D] [--aws.dynamodb=URL] [--aws.s3=URL] [--aws.sqs=URL]
///        [--aws.region=R] [--aws.bucket=B] [--aws.userStorage=persistent|key-value] [--tickTime=MS]
///        [--zookeeper.extendedTypesEnabled=true] [--znode.container.checkIntervalMs=MS]
///        [--znode.container.maxPerMinute=N] [--znode.container.maxNeverUsedIntervalMs=MS]
/// </code>
/// Unset aws.* options fall back to the ZKGW_AWS_* environment variables. Prints "functions ready"
/// once it consumes its queues; on SIGTERM/SIGINT it stops and prints its cost-meter counts.
/// </summary>
internal static class HostMode
{
    public static async Task<int> RunAsync(string[] options)
    {
        using var stopping = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stopping.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stopping.Cancel(); });

        AwsSettings settings;
        BackendOptions backendOptions;
        try
        {
            settings = SettingsFrom(options);
            backendOptions = new BackendOptions
            {
                TickTime = int.TryParse(Option(options, "tickTime"), out int tick) && tick > 0 ? tick : 2000,
                ExtendedTypesEnabled = Option(options, "zookeeper.extendedTypesEnabled") == "true",
            };
            // The reaper's settings, under ZooKeeper's names (as the gateway takes them).
            if (int.TryParse(Option(options, "znode.container.checkIntervalMs"), out int interval) && interval > 0)
            {
                backendOptions.ContainerCheckIntervalMs = interval;
            }
            if (int.TryParse(Option(options, "znode.container.maxPerMinute"), out int perMinute) && perMinute > 0)
            {
                backendOptions.ContainerMaxPerMinute = perMinute;
            }
            if (long.TryParse(Option(options, "znode.container.maxNeverUsedIntervalMs"), out long neverUsed) && neverUsed >= 0)
            {
                backendOptions.ContainerMaxNeverUsedIntervalMs = neverUsed;
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }

        try
        {
            if (options.Contains("--provision"))
            {
                await AwsProvisioner.ProvisionAsync(settings, stopping.Token).ConfigureAwait(false);
                Console.WriteLine($"provisioned deployment {settings.DeploymentName}");
            }
            await using var functions = await AwsFunctions.StartAsync(settings, backendOptions, stopping.Token).ConfigureAwait(false);
            Console.WriteLine($"functions ready: deployment {settings.DeploymentName}");
            await functions.RunAsync(stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"function host failed: {e}").ConfigureAwait(false);
            return 1;
        }
        foreach (var line in CostMeter.Shared.Snapshot())
        {
            Console.WriteLine($"cost {line.Operation} {line.Service}.{line.Api} calls={line.Calls} units={line.Units} usd={line.Usd}");
        }
        return 0;
    }

    /// <summary>The deployment from --aws.* options over the ZKGW_AWS_* environment (the gateway takes the same keys).</summary>
    public static AwsSettings SettingsFrom(string[] options)
    {
        var env = AwsSettings.FromEnvironment(Option(options, "aws.deployment"));
        var settings = env with
        {
            Region = Option(options, "aws.region") ?? env.Region,
            DynamoDbEndpoint = Option(options, "aws.dynamodb") ?? env.DynamoDbEndpoint,
            S3Endpoint = Option(options, "aws.s3") ?? env.S3Endpoint,
            SqsEndpoint = Option(options, "aws.sqs") ?? env.SqsEndpoint,
            BucketNameOverride = Option(options, "aws.bucket") ?? env.BucketNameOverride,
            UserStorage = Option(options, "aws.userStorage") switch
            {
                null => env.UserStorage,
                "persistent" => UserStorageMode.Persistent,
                "key-value" => UserStorageMode.KeyValue,
                var other => throw new ArgumentException($"--aws.userStorage must be persistent or key-value, not '{other}'."),
            },
        };
        if (settings.AccessKey is null && (settings.DynamoDbEndpoint ?? settings.S3Endpoint ?? settings.SqsEndpoint) is not null)
        {
            // The emulators accept any credentials.
            settings = settings with { AccessKey = "test", SecretKey = "test" };
        }
        return settings;
    }

    private static string? Option(string[] options, string name)
    {
        var prefix = $"--{name}=";
        return options.LastOrDefault(o => o.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }
}
