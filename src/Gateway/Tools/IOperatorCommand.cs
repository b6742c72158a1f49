using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// A command the gateway's executable runs instead of serving (<c>zkgateway import …</c>,
/// <c>zkgateway export …</c>): the operator's tools ship in the same binary as the server, so they
/// read the same zoo.cfg keys and reach the same provider sets (embedded, or AWS from the sidecar).
/// </summary>
public interface IOperatorCommand
{
    /// <summary>The first command-line word that selects this command.</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Summary { get; }

    /// <summary>
    /// Runs the command with the arguments after its name; returns the process exit code (0 success,
    /// <see cref="GatewayHost.ConfigErrorExitCode"/> for bad arguments, 1 for a failure it reported).
    /// </summary>
    Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken);
}
