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
    private static readonly Dictionary<string, Func<IFunctionHandler>> Factories = new(StringComparer.Ordinal)
    {
        [EchoFunction.HandlerName] = static () => new EchoFunction(),
        ["writer"] = static () => BackendFunction("writer", static (functions, bodies, ct) => functions.HandleWriterBatchAsync(bodies, ct)),
        ["distributor"] = static () => BackendFunction("distributor", static (functions, bodies, ct) => functions.HandleDistributorBatchAsync(bodies, ct)),
        ["heartbeat"] = static () =>
        {
            var functions = Backend.Aws.AwsFunctions.StartScheduledAsync(HostMode.SettingsFrom([]), OptionsFromEnvironment()).GetAwaiter().GetResult();
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
    /// A backend function on an SQS trigger: the deployment comes from the ZKGW_AWS_* variables the
    /// template sets; the batch is handled as a whole (group commit), so it is either all processed or,
    /// on an exception, all returned to the queue (for a FIFO queue that keeps the order).
    /// </summary>
    private static SqsBatchFunction BackendFunction(string name, Func<Backend.Aws.AwsFunctions, IReadOnlyList<string>, CancellationToken, Task> handle)
    {
        var functions = Backend.Aws.AwsFunctions.StartAsync(HostMode.SettingsFrom([]), OptionsFromEnvironment()).GetAwaiter().GetResult();
        return new SqsBatchFunction(name, async (records, context, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await handle(functions, [.. records.Select(r => r.Body)], ct).ConfigureAwait(false);
            Backend.Metering.CostMeter.Shared.CountInvocation(name, System.Diagnostics.Stopwatch.GetElapsedTime(started), LambdaMemoryMb);
            return records.Count;
        });
    }

    /// <summary>
    /// The backend options a Lambda function runs with: ZKGW_EXTENDED_TYPES_ENABLED=true is ZooKeeper's
    /// zookeeper.extendedTypesEnabled (TTL nodes: the writer accepts createTTL, the reaper expires them).
    /// The template sets it alike on all three functions; gateways take --zookeeper.extendedTypesEnabled.
    /// </summary>
    internal static Backend.BackendOptions OptionsFromEnvironment() => new()
    {
        ExtendedTypesEnabled = Environment.GetEnvironmentVariable("ZKGW_EXTENDED_TYPES_ENABLED") == "true",
    };

    /// <summary>The function's memory size, which Lambda bills GB-seconds by (AWS_LAMBDA_FUNCTION_MEMORY_SIZE).</summary>
    private static int LambdaMemoryMb =>
        int.TryParse(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), out int mb) ? mb : 512;

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>
    /// Creates the named function. Returns false for an unknown name; a factory's own exception (a bad
    /// configuration, say) propagates.
    /// </summary>
    public static bool TryCreate(string name, out IFunctionHandler? handler)
    {
        if (Factories.TryGetValue(name, out var factory))
        {
            handler = factory();
            return true;
        }
        handler = null;
        return false;
    }
}
