using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Hosting;

/// <summary>The lines ZooKeeper logs when its AdminServer and /metrics endpoint start.</summary>
internal static partial class OperatorLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Started AdminServer on address {Address}, port {Port} and command URL {CommandUrl}")]
    public static partial void AdminStarted(ILogger logger, string address, int port, string commandUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started /metrics HTTP endpoint at host: {Address}, port: {Port}")]
    public static partial void MetricsStarted(ILogger logger, string address, int port);
}
