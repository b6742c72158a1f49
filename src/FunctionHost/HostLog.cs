using Microsoft.Extensions.Logging;

namespace ZkGateway.FunctionHost;

/// <summary>
/// What the function host logs, and the one logger factory it logs through: single lines on stderr,
/// which Lambda sends to CloudWatch Logs and a container runtime to its log driver.
/// </summary>
internal static partial class HostLog
{
    /// <summary>The process's loggers: Information and above, one line each, on stderr.</summary>
    public static ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Information)
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        })
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));

    [LoggerMessage(201, LogLevel.Information, "provisioned deployment {Deployment}")]
    public static partial void Provisioned(ILogger logger, string deployment);

    [LoggerMessage(202, LogLevel.Information, "functions ready: deployment {Deployment}")]
    public static partial void FunctionsReady(ILogger logger, string deployment);

    [LoggerMessage(207, LogLevel.Warning, "starting failed on a passing cloud fault (attempt {Attempt}); starting again")]
    public static partial void StartFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(203, LogLevel.Critical, "function host failed")]
    public static partial void HostFailed(ILogger logger, Exception exception);

    [LoggerMessage(204, LogLevel.Error, "{Message}")]
    public static partial void NoSuchHandler(ILogger logger, string message);

    [LoggerMessage(205, LogLevel.Critical, "function \"{Handler}\" failed to start")]
    public static partial void FunctionFailedToStart(ILogger logger, Exception exception, string handler);

    [LoggerMessage(206, LogLevel.Critical, "Lambda runtime API failure, exiting: {Reason}")]
    public static partial void RuntimeApiFailed(ILogger logger, string reason);

    [LoggerMessage(211, LogLevel.Warning, "{RequestId}: deadline {Deadline:O} is implausibly far; not enforced")]
    public static partial void ImplausibleDeadline(ILogger logger, string requestId, DateTimeOffset deadline);

    [LoggerMessage(212, LogLevel.Warning, "{RequestId} {Handler}: cancelled at the deadline ({Deadline:O})")]
    public static partial void CancelledAtDeadline(ILogger logger, string requestId, string handler, DateTimeOffset deadline);

    [LoggerMessage(213, LogLevel.Error, "{RequestId} {Handler}: {ExceptionType}: {Reason}")]
    public static partial void InvocationFailed(ILogger logger, Exception exception, string requestId, string handler, string exceptionType, string reason);

    [LoggerMessage(214, LogLevel.Warning, "{RequestId}: no readable Lambda-Runtime-Deadline-Ms; running without a deadline")]
    public static partial void NoDeadline(ILogger logger, string requestId);

    [LoggerMessage(215, LogLevel.Warning, "POST {Path} answered {Status}: {Detail}")]
    public static partial void PostRefused(ILogger logger, string path, int status, string detail);
}
