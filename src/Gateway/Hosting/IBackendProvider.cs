using Microsoft.Extensions.Logging;
using ZkGateway.Backend;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// A provider set the gateway can serve from, chosen by the <c>backend</c> key. The gateway's own entry
/// point offers the embedded one only, so its build carries no cloud SDK; the sidecar entry point
/// (src/Gateway.Aws) adds the AWS one (docs/design.md, "Projects").
/// </summary>
public interface IBackendProvider
{
    /// <summary>The <c>backend</c> key's value that selects this provider set.</summary>
    string Name { get; }

    /// <summary>Where this provider set keeps the data, for the start-up line (a directory, a deployment).</summary>
    string DescribeData(GatewayOptions options);

    /// <summary>Starts the backend (recovery included) before the gateway listens.</summary>
    Task<IZkBackend> StartAsync(GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers);
}
