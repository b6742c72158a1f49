using System.CommandLine;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Migration;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// <c>zkgateway import --from-zookeeper DIR --dataDir DIR</c>: reads a stopped ZooKeeper 3.x server's data
/// directory (newest snapshot plus the logs after it) and creates an embedded data directory holding the
/// same tree, all or nothing (docs/migration.md). Ephemeral nodes are dropped and listed.
/// </summary>
public sealed class ImportCommand : IOperatorCommand
{
    public string Name => "import";

    public string Summary => "--from-zookeeper DIR [--dataLogDir DIR] --dataDir DIR: a ZooKeeper data directory into a new embedded one";

    public async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken)
    {
        var fromZooKeeper = new Option<DirectoryInfo?>("--from-zookeeper") { Description = "A stopped ZooKeeper 3.x server's dataDir (or its version-2 folder)" };
        var dataLogDir = new Option<DirectoryInfo?>("--dataLogDir") { Description = "ZooKeeper's dataLogDir, when its logs are not in dataDir" };
        var dataDir = new Option<DirectoryInfo>("--dataDir") { Description = "The embedded data directory to create (new or empty)", Required = true };
        var command = new RootCommand("zkgateway import") { fromZooKeeper, dataLogDir, dataDir };
        var parsed = command.Parse(args);
        var errors = parsed.Errors.Select(e => e.Message).ToList();
        if (errors.Count == 0 && parsed.GetValue(fromZooKeeper) is null)
        {
            errors.Add("Option '--from-zookeeper' is required.");
        }
        if (errors.Count > 0)
        {
            foreach (string error in errors)
            {
                await Console.Error.WriteLineAsync("zkgateway import: " + error).ConfigureAwait(false);
            }
            return GatewayHost.ConfigErrorExitCode;
        }
        var source = parsed.GetValue(fromZooKeeper)!;
        var target = parsed.GetValue(dataDir)!;
        try
        {
            var image = ProgressDisplay.Run("reading " + source.FullName, progress =>
                ZooKeeperDataDirectory.Load(source.FullName, parsed.GetValue(dataLogDir)?.FullName, progress));
            int nodes = DataDirectorySeed.Create(target.FullName, image.LastZxid, image.Tree.ToSeedNodes());
            var output = Console.Out;
            await output.WriteLineAsync($"zkgateway import: {target.FullName} holds {nodes} nodes, every transaction up to zxid 0x{image.LastZxid:x} " +
                $"(snapshot {Path.GetFileName(image.Snapshot)}, {image.Transactions} transactions from {image.Logs.Count} log files)").ConfigureAwait(false);
            await output.WriteLineAsync($"zkgateway import: {image.DroppedEphemerals.Count} ephemeral nodes dropped (their sessions do not move to the gateway)").ConfigureAwait(false);
            foreach (var (path, session) in image.DroppedEphemerals)
            {
                await output.WriteLineAsync($"  dropped ephemeral {path} (session 0x{session:x})").ConfigureAwait(false);
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"zkgateway import: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
