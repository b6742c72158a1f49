using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Metering;

namespace ZkGateway.FunctionHost;

/// <summary>
/// <c>ZkGateway.FunctionHost host</c>: the writer and distributor in one process that polls their SQS
/// FIFO queues, for containers (docker/compose.yaml) and for the tests on the emulators. The same
/// <see cref="AwsFunctions"/> serve Lambda invocations (<see cref="Functions.FunctionCatalog"/>).
/// <code>
///   host [--provision] [--aws.deployment=D] [--aws.dynamodb=URL] [--aws.s3=URL] [--aws.sqs=URL]
///        [--aws.region=R] [--aws.bucket=B] [--aws.userStorage=persistent|key-value] [--tickTime=MS] [--heartbeatIntervalMs=MS]
///        [--zookeeper.extendedTypesEnabled=true] [--znode.container.checkIntervalMs=MS]
///        [--znode.container.maxPerMinute=N] [--znode.container.maxNeverUsedIntervalMs=MS] [--maxWriteBatch=N]
/// </code>
/// Unset options fall back to the ZKGW_* environment variables (<see cref="FunctionHostConfiguration"/>).
/// Logs "functions ready" once it consumes its queues; on SIGTERM/SIGINT it stops and prints its
/// cost-meter counts on stdout.
/// </summary>
internal static class HostMode
{
    public static async Task<int> RunAsync(string[] options)
    {
        using var stopping = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stopping.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stopping.Cancel(); });

        FunctionHostConfiguration configuration;
        try
        {
            configuration = FunctionHostConfiguration.FromProcess(options);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }
        var settings = configuration.Aws;

        // Disposed before the cost lines: that flushes what the loggers still queue.
        using (var loggers = HostLog.CreateFactory())
        {
            var log = loggers.CreateLogger("ZkGateway.FunctionHost");
            try
            {
                await using var functions = await StartAsync(options.Contains("--provision"), settings, configuration, loggers, log, stopping.Token).ConfigureAwait(false);
                HostLog.FunctionsReady(log, settings.DeploymentName);
                await functions.RunAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                HostLog.HostFailed(log, e);
                return 1;
            }
        }
        // The cost meter's report is the host's output (read by the tests and by operators), not a log line.
        foreach (var line in CostMeter.Shared.Snapshot())
        {
            Console.WriteLine(FormattableString.Invariant($"cost {line.Operation} {line.Service}.{line.Api} calls={line.Calls} units={line.Units} usd={line.Usd} rcu={line.ReadUnits} wcu={line.WriteUnits}"));
        }
        return 0;
    }

    /// <summary>Provisions (if asked) and starts the functions, starting again after the cloud's passing faults (<see cref="StartupFaults"/>).</summary>
    private static async Task<AwsFunctions> StartAsync(bool provision, AwsSettings settings, FunctionHostConfiguration configuration, ILoggerFactory loggers, ILogger log, CancellationToken stopping)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (provision)
                {
                    await AwsProvisioner.ProvisionAsync(settings, stopping).ConfigureAwait(false);
                    HostLog.Provisioned(log, settings.DeploymentName);
                    provision = false;
                }
                return await AwsFunctions.StartAsync(settings, configuration.Backend, loggers, stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (StartupFaults.IsPassing(e) && attempt < StartupFaults.MaxAttempts && !stopping.IsCancellationRequested)
            {
                HostLog.StartFailed(log, e, attempt);
                await Task.Delay(StartupFaults.Backoff(attempt), stopping).ConfigureAwait(false);
            }
        }
    }
}
