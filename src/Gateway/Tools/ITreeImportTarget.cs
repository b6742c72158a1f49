using ZkGateway.Backend.Primitives;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// A provider set that <c>zkgateway import</c> can write a tree into other than the embedded data
/// directory (the sidecar's AWS one), chosen by the same <c>backend</c> key and configured by the same
/// keys and environment as the server it then serves it from.
/// </summary>
public interface ITreeImportTarget
{
    /// <summary>The <c>backend</c> key's value that selects this target (the provider set's name).</summary>
    string Name { get; }

    /// <summary>
    /// Writes <paramref name="nodes"/> (the state after <paramref name="lastZxid"/>, ephemerals dropped)
    /// where <paramref name="options"/> say, reporting (done, total) to <paramref name="progress"/>;
    /// returns the report's lines for standard output.
    /// </summary>
    /// <exception cref="InvalidOperationException">The target refuses the import (it holds data); the message says why.</exception>
    /// <exception cref="IOException">The target could not be reached or written.</exception>
    Task<IReadOnlyList<string>> ImportAsync(GatewayOptions options, long lastZxid, IReadOnlyCollection<SeedNode> nodes, string source, Action<long, long> progress, CancellationToken cancellationToken);
}
