using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Hosting;

/// <summary>The gateway's start-up line: what runs, on which backend, where it listens and keeps its data.</summary>
internal static partial class StartupLog
{
    [LoggerMessage(90, LogLevel.Information, "ZkGateway {Version} started: backend {Backend}, listening on {Addresses}, {Data}")]
    public static partial void Started(ILogger logger, string version, string backend, string addresses, string data);
}
