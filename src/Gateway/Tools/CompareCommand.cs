using System.CommandLine;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Migration;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// <c>zkgateway compare A B</c>, each a running server (host:port) or a dump file: prints every
/// difference, node by node, and exits 1 when there is any, 0 when the trees are the same
/// (docs/migration.md says which fields are compared).
/// </summary>
public sealed class CompareCommand : IOperatorCommand
{
    public string Name => "compare";

    public string Summary => "A B [--auth scheme:auth]… [--ignore FIELD,…]: the differences between two trees (host:port or dump file each)";

    public async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken)
    {
        var a = new Argument<string>("a") { Description = "host:port of a running server, or a dump file" };
        var b = new Argument<string>("b") { Description = "host:port of a running server, or a dump file" };
        var auth = new Option<string[]>("--auth") { Description = "addauth on both servers before reading, scheme:auth; repeatable" };
        var ignore = new Option<string[]>("--ignore") { Description = $"Fields not to compare: {string.Join(", ", TreeComparison.Fields)}", AllowMultipleArgumentsPerToken = true };
        var command = new RootCommand("zkgateway compare") { a, b, auth, ignore };
        var parsed = command.Parse(args);
        var errors = parsed.Errors.Select(e => e.Message).ToList();
        var ignored = (parsed.GetValue(ignore) ?? []).SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(ignored.Where(f => !TreeComparison.Fields.Contains(f)).Select(f => $"--ignore {f}: no such field ({string.Join(", ", TreeComparison.Fields)})"));
        if (errors.Count > 0)
        {
            return await CommandLineErrors.ReportAsync("compare", errors).ConfigureAwait(false);
        }
        try
        {
            var left = await LoadAsync(parsed.GetValue(a)!, parsed.GetValue(auth) ?? [], cancellationToken).ConfigureAwait(false);
            var right = await LoadAsync(parsed.GetValue(b)!, parsed.GetValue(auth) ?? [], cancellationToken).ConfigureAwait(false);
            var differences = TreeComparison.Differences(left, right, ignored);
            foreach (string difference in differences)
            {
                await Console.Out.WriteLineAsync(difference).ConfigureAwait(false);
            }
            await Console.Out.WriteLineAsync(differences.Count == 0
                ? $"zkgateway compare: the same: {left.Nodes.Count} nodes"
                : $"zkgateway compare: {differences.Count} differences ({left.Nodes.Count} nodes in {left.Source}, {right.Nodes.Count} in {right.Source})").ConfigureAwait(false);
            return differences.Count == 0 ? 0 : 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"zkgateway compare: {e.Message}").ConfigureAwait(false);
            return GatewayHost.ConfigErrorExitCode; // as diff: 2 when it could not compare
        }
    }

    /// <summary>A file that exists is a dump (named by its path in the output); anything else is a server address.</summary>
    private static async Task<DumpImage> LoadAsync(string source, IReadOnlyList<string> auth, CancellationToken cancellationToken) =>
        File.Exists(source) ? DumpFile.Read(source) with { Source = source } : await LiveTreeReader.ReadAsync(source, auth, cancellationToken).ConfigureAwait(false);
}
