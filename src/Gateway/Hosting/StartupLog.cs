using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Hosting;

/// <summary>The gateway's start-up line: what runs, on which backend, where it listens and keeps its data.</summary>
internal static partial class StartupLog
{
    [LoggerMessage(90, LogLevel.Information, "ZkGateway {Version} started: backend {Backend}, listening on {Addresses}, {Data}")]
    public static partial void Started(ILogger logger, string version, string backend, string addresses, string data);

    [LoggerMessage(91, LogLevel.Warning, "secureClientPort with ssl.clientAuth={ClientAuth} but no x509 provider: a client presenting a certificate is disconnected, as in ZooKeeper 3.8; set authProvider.x509={ProviderClass}")]
    public static partial void NoX509Provider(ILogger logger, string clientAuth, string providerClass);

    [LoggerMessage(93, LogLevel.Information, "Start-up took {TotalMs:0} ms from the process's start: runtime {RuntimeMs:0} ms before Main, configuration {ConfigMs:0} ms, host {HostMs:0} ms (of which the backend {BackendMs:0} ms), listening {ListenMs:0} ms")]
    public static partial void Timing(ILogger logger, double totalMs, double runtimeMs, double configMs, double hostMs, double backendMs, double listenMs);

    [LoggerMessage(92, LogLevel.Warning, "{Problem}")]
    public static partial void SaslOff(ILogger logger, string problem);
}
