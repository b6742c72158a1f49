using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Admin;

/// <summary>What a command runs against: the server's state at the request, its configuration, the query arguments.</summary>
/// <param name="Snapshot">The statistics the four-letter words also answer from.</param>
/// <param name="Options">The effective configuration.</param>
/// <param name="Arguments">Query parameters, first value of each (Jetty's parameter map as 3.8.0 reads it).</param>
/// <param name="Statistics">For the resets (srst, crst).</param>
/// <param name="Registry">The live connections (crst).</param>
public sealed record AdminRequest(
    ServerSnapshot Snapshot,
    GatewayOptions Options,
    IReadOnlyDictionary<string, string> Arguments,
    GatewayStatistics Statistics,
    ConnectionRegistry Registry);
