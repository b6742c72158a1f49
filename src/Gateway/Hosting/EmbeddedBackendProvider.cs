using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Embedded;
using ZkGateway.Backend;

namespace ZkGateway.Gateway.Hosting;

/// <summary>The embedded provider set: SQLite in dataDir, the functions in this process.</summary>
public sealed class EmbeddedBackendProvider : IBackendProvider
{
    public static readonly EmbeddedBackendProvider Instance = new();

    public string Name => "embedded";

    public string DescribeData(GatewayOptions options) => "data in " + Path.GetFullPath(options.DataDir);

    public async Task<IZkBackend> StartAsync(GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers) =>
        await EmbeddedDeployment.StartAsync(backendOptions, sink, loggers: loggers).ConfigureAwait(false);
}
