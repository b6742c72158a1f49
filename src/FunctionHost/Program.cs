using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using ZkGateway.FunctionHost.Functions;
using ZkGateway.FunctionHost.Lambda;

namespace ZkGateway.FunctionHost;

/// <summary>
/// <code>
///   ZkGateway.FunctionHost [lambda] [--handler=NAME]   Lambda custom runtime (the default when
///                                                      AWS_LAMBDA_RUNTIME_API is set); NAME defaults
///                                                      to $_HANDLER
///   ZkGateway.FunctionHost host [--provision] ...      the writer and distributor polling their SQS
///                                                      queues in this process (see HostMode)
/// </code>
/// Exit codes: 0 stopped by a signal; 1 the runtime API failed or the function could not start; 2 usage.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : null;
        mode ??= Environment.GetEnvironmentVariable(LambdaRuntimeClient.RuntimeApiVariable) is { Length: > 0 } ? "lambda" : null;
        var options = args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToArray();

        switch (mode)
        {
            case "lambda":
                return await RunLambdaAsync(options).ConfigureAwait(false);
            case "host":
                return await HostMode.RunAsync(options).ConfigureAwait(false);
            default:
                await Console.Error.WriteLineAsync(
                    "usage: ZkGateway.FunctionHost [lambda|host] [--handler=NAME]\n" +
                    $"  lambda  run as a Lambda custom runtime ({LambdaRuntimeClient.RuntimeApiVariable} must be set;\n" +
                    $"          the default when it is); NAME defaults to ${FunctionCatalog.HandlerVariable}\n" +
                    "  host    poll the queues and run the writer and distributor in this process\n" +
                    "          [--provision] [--aws.deployment=D] [--aws.dynamodb|s3|sqs=URL] (or ZKGW_AWS_*)\n" +
                    $"handlers: {string.Join(", ", FunctionCatalog.Names)}").ConfigureAwait(false);
                return 2;
        }
    }

    private static async Task<int> RunLambdaAsync(string[] options)
    {
        var handlerName = FunctionHostConfiguration.Option(options, "handler") ?? Environment.GetEnvironmentVariable(FunctionCatalog.HandlerVariable) ?? "";
        using var stopping = new CancellationTokenSource();
        // Lambda sends SIGTERM when it shuts an environment down (only when extensions are registered);
        // containers send it on stop. Either way: finish the poll and exit 0.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stopping.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stopping.Cancel(); });

        using var loggers = HostLog.CreateFactory();
        var log = loggers.CreateLogger("ZkGateway.FunctionHost");
        LambdaRuntimeClient client;
        try
        {
            client = LambdaRuntimeClient.FromEnvironment(loggers.CreateLogger<LambdaRuntimeClient>());
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }
        using (client)
        {
            try
            {
                // Lambda's init phase: construct the function, or tell Lambda why it cannot be.
                IFunctionHandler? handler = null;
                try
                {
                    if (FunctionCatalog.Names.Contains(handlerName))
                    {
                        // The same configuration as the host mode: the command line over the ZKGW_* environment.
                        handler = await FunctionCatalog.CreateAsync(handlerName, FunctionHostConfiguration.FromProcess(options), loggers, stopping.Token).ConfigureAwait(false);
                    }
                    if (handler is null)
                    {
                        var message = $"No function named \"{handlerName}\" (set {FunctionCatalog.HandlerVariable} or --handler; " +
                            $"known: {string.Join(", ", FunctionCatalog.Names)}).";
                        HostLog.NoSuchHandler(log, message);
                        await client.PostInitErrorAsync(new LambdaError { ErrorMessage = message, ErrorType = "NoSuchHandler" },
                            LambdaRuntimeClient.ErrorTypes.NoSuchHandler, stopping.Token).ConfigureAwait(false);
                        return 1;
                    }
                }
                catch (Exception e) when (e is not LambdaRuntimeApiException and not OperationCanceledException)
                {
                    HostLog.FunctionFailedToStart(log, e, handlerName);
                    await client.PostInitErrorAsync(LambdaError.From(e), LambdaRuntimeClient.ErrorTypes.InitFailed, stopping.Token)
                        .ConfigureAwait(false);
                    return 1;
                }
                await client.RunAsync(handler, stopping.Token).ConfigureAwait(false);
                return 0;
            }
            catch (LambdaRuntimeApiException e)
            {
                HostLog.RuntimeApiFailed(log, e.Message);
                return 1;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return 0;
            }
        }
    }
}
