using Microsoft.Extensions.Logging;

namespace ZkGateway.Backend.Aws;

/// <summary>What the AWS provider set logs: faults it rides out (redelivery, best-effort clean-up).</summary>
internal static partial class AwsLog
{
    [LoggerMessage(101, LogLevel.Error, "A function batch failed; it comes back after the queue's visibility timeout")]
    public static partial void FunctionBatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(102, LogLevel.Information, "Gateway {GatewayId}: removing its watch interest and inbox on stop failed; a stale one only costs ignored messages")]
    public static partial void GatewayCleanupFailed(ILogger logger, Exception exception, string gatewayId);
}
