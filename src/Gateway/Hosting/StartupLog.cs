using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Hosting;

/// <summary>The gateway's start-up line: what runs, on which backend, where it listens and keeps its data.</summary>
internal static partial class StartupLog
{
    [LoggerMessage(90, LogLevel.Information, "ZkGateway {Version} started: backend {Backend}, listening on {Addresses}, {Data}")]
    public static partial void Started(ILogger logger, string version, string backend, string addresses, string data);

    [LoggerMessage(91, LogLevel.Warning, "secureClientPort with ssl.clientAuth={ClientAuth} but no x509 provider: a client presenting a certificate is disconnected, as in ZooKeeper 3.8; set authProvider.x509={ProviderClass}")]
    public static partial void NoX509Provider(ILogger logger, string clientAuth, string providerClass);

    [LoggerMessage(92, LogLevel.Warning, "{Problem}")]
    public static partial void SaslOff(ILogger logger, string problem);
}
