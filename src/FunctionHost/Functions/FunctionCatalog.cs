using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Metering;

namespace ZkGateway.FunctionHost.Functions;

/// <summary>
/// The functions this executable can run, by name. Lambda passes the function's <c>Handler</c> setting in
/// the <c>_HANDLER</c> variable; deploy/aws/template.yaml sets it to "writer", "distributor" or
/// "heartbeat", so one zip serves all three functions.
/// </summary>
public static class FunctionCatalog
{
    /// <summary>The variable Lambda sets from the function's Handler setting.</summary>
    public const string HandlerVariable = "_HANDLER";

    // Factories, not instances: only the selected function is constructed (its AWS clients, caches…),
    // once per process, during Lambda's init phase.
    private static readonly Dictionary<string, Func<FunctionHostConfiguration, ILoggerFactory, CancellationToken, Task<IFunctionHandler>>> Factories = new(StringComparer.Ordinal)
    {
        [EchoFunction.HandlerName] = static (_, _, _) => Task.FromResult<IFunctionHandler>(new EchoFunction()),
        ["writer"] = static (configuration, loggers, ct) => BackendFunctionAsync("writer", configuration, loggers, static (functions, bodies, ct) => functions.HandleWriterBatchAsync(bodies, ct), ct),
        ["distributor"] = static (configuration, loggers, ct) => BackendFunctionAsync("distributor", configuration, loggers, static (functions, bodies, ct) => functions.HandleDistributorBatchAsync(bodies, ct), ct),
        ["heartbeat"] = static async (configuration, loggers, ct) =>
        {
            var functions = await AwsFunctions.StartScheduledAsync(configuration.Aws, configuration.Backend, loggers, ct).ConfigureAwait(false);
            return new ScheduledFunction("heartbeat", async (context, ct) =>
            {
                await functions.HeartbeatOnceAsync(ct).ConfigureAwait(false);
                // The container and TTL reaper shares the heartbeat's one-minute schedule (ZooKeeper
                // checks every 60 s by default).
                await functions.ReapOnceAsync(ct).ConfigureAwait(false);
            });
        },
    };

    /// <summary>
    /// A backend function on an SQS trigger: the deployment and options come from the configuration
    /// (on Lambda, the ZKGW_* variables the template sets); the batch is handled as a whole (group
    /// commit), so it is either all processed or, on an exception, all returned to the queue (for a
    /// FIFO queue that keeps the order).
    /// </summary>
    private static async Task<IFunctionHandler> BackendFunctionAsync(string name, FunctionHostConfiguration configuration, ILoggerFactory loggers, Func<AwsFunctions, IReadOnlyList<string>, CancellationToken, Task> handle, CancellationToken cancellationToken)
    {
        var functions = await AwsFunctions.StartAsync(configuration.Aws, configuration.Backend, loggers, cancellationToken).ConfigureAwait(false);
        return new SqsBatchFunction(name, async (records, context, ct) =>
        {
            var started = Stopwatch.GetTimestamp();
            await handle(functions, [.. records.Select(r => r.Body)], ct).ConfigureAwait(false);
            CostMeter.Shared.CountInvocation(name, Stopwatch.GetElapsedTime(started), LambdaMemoryMb);
            return records.Count;
        });
    }

    /// <summary>The function's memory size, which Lambda bills GB-seconds by (AWS_LAMBDA_FUNCTION_MEMORY_SIZE).</summary>
    private static int LambdaMemoryMb =>
        int.TryParse(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), out int mb) ? mb : 512;

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>
    /// Creates the named function with <paramref name="configuration"/>. Returns null for an unknown
    /// name; a factory's own exception (a bad configuration, an unreachable deployment) propagates.
    /// </summary>
    internal static async Task<IFunctionHandler?> CreateAsync(string name, FunctionHostConfiguration configuration, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default) =>
        Factories.TryGetValue(name, out var factory) ? await factory(configuration, loggers ?? NullLoggerFactory.Instance, cancellationToken).ConfigureAwait(false) : null;
}
