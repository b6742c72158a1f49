using Microsoft.Extensions.Logging;

namespace ZkGateway.Backend.Aws;

/// <summary>What the AWS provider set logs: faults it rides out (redelivery, best-effort clean-up).</summary>
internal static partial class AwsLog
{
    [LoggerMessage(101, LogLevel.Error, "A function batch failed; it comes back after the queue's visibility timeout")]
    public static partial void FunctionBatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(102, LogLevel.Information, "Gateway {GatewayId}: removing its watch interest and inbox on stop failed; a stale one only costs ignored messages")]
    public static partial void GatewayCleanupFailed(ILogger logger, Exception exception, string gatewayId);

    [LoggerMessage(103, LogLevel.Debug, "Another writer moved the write head past batch {Seq} (attempt {Attempt}): catching up and preparing the batch again")]
    public static partial void HeadMoved(ILogger logger, long seq, int attempt);

    [LoggerMessage(104, LogLevel.Warning, "Preparing or reserving a write batch failed (attempt {Attempt}); catching up and trying again")]
    public static partial void GatewayWriteRetry(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(105, LogLevel.Warning, "Applying a reserved write batch failed (attempt {Attempt}); it is committed, trying again")]
    public static partial void GatewayApplyRetry(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(106, LogLevel.Warning, "Applied a batch of {Count} transactions up to zxid {Zxid:x} that its writer left unapplied at the write head")]
    public static partial void HelpedBatch(ILogger logger, int count, long zxid);

    [LoggerMessage(107, LogLevel.Warning, "Aborted the batch at zxid {Zxid:x} that its writer left at the write head before writing its node: none of it takes effect")]
    public static partial void AbortedBatch(ILogger logger, long zxid);

    [LoggerMessage(108, LogLevel.Warning, "Another writer aborted this writer's batch at zxid {Zxid:x} before its node was written: preparing its requests again")]
    public static partial void BatchAborted(ILogger logger, long zxid);
}
