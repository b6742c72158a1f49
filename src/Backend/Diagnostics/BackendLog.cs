using Microsoft.Extensions.Logging;

namespace ZkGateway.Backend.Diagnostics;

/// <summary>
/// What the backend logs. Each is a fault the backend rides out (it retries or leaves the work to the
/// next pass), logged so that an operator sees it instead of a silent retry.
/// </summary>
internal static partial class BackendLog
{
    [LoggerMessage(301, LogLevel.Warning, "Gateway {GatewayId}: a read waited {WaitMs} ms for its inbox to handle trigger zxid 0x{Needed:x} (handled: 0x{Handled:x}) and is answered without it")]
    public static partial void EpochWaitTimedOut(ILogger logger, string gatewayId, int waitMs, long needed, long handled);

    [LoggerMessage(302, LogLevel.Warning, "Gateway {GatewayId}: receiving from its inbox failed; trying again (the messages wait)")]
    public static partial void InboxReceiveFailed(ILogger logger, Exception exception, string gatewayId);

    [LoggerMessage(308, LogLevel.Warning, "Gateway {GatewayId}: acknowledging an inbox batch failed (given up: {GivenUp}); until it is given up it is tried again, after that its messages come again and are skipped as handled")]
    public static partial void InboxAcknowledgeFailed(ILogger logger, Exception exception, string gatewayId, bool givenUp);

    [LoggerMessage(303, LogLevel.Information, "Gateway {GatewayId}: signing off its liveness failed; it lapses by itself within one and a half renewal periods")]
    public static partial void SignOffFailed(ILogger logger, Exception exception, string gatewayId);

    [LoggerMessage(304, LogLevel.Warning, "Expiring session 0x{SessionId:x} failed; trying again until it is done (up to once a second)")]
    public static partial void SessionExpiryFailed(ILogger logger, Exception exception, long sessionId);

    [LoggerMessage(309, LogLevel.Information, "Expiring session 0x{SessionId:x}, timeout exceeded (its client was silent past its deadline)")]
    public static partial void SessionExpiring(ILogger logger, long sessionId);

    [LoggerMessage(310, LogLevel.Information, "Expiring session 0x{SessionId:x}, timeout of {TimeoutMs}ms exceeded since its gateway {Owner} lapsed")]
    public static partial void LapsedSessionExpiring(ILogger logger, long sessionId, int timeoutMs, string owner);

    [LoggerMessage(305, LogLevel.Warning, "Gateway {GatewayId}: renewing its liveness failed; trying again next tick (its sessions are safe until the last renewal lapses)")]
    public static partial void LeaseRenewalFailed(ILogger logger, Exception exception, string gatewayId);

    [LoggerMessage(306, LogLevel.Warning, "A reaper pass over container and TTL nodes failed; the next pass finds the same candidates")]
    public static partial void ReaperPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(307, LogLevel.Warning, "A heartbeat pass over expired session leases failed; the leases wait for the next pass")]
    public static partial void HeartbeatPassFailed(ILogger logger, Exception exception);
}
