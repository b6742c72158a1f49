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

    public string Summary => "--from-zookeeper DIR [--dataLogDir DIR] | --from-dump FILE, --dataDir DIR: a ZooKeeper data directory or a dump into a new embedded one";

    public async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken)
    {
        var fromZooKeeper = new Option<DirectoryInfo?>("--from-zookeeper") { Description = "A stopped ZooKeeper 3.x server's dataDir (or its version-2 folder)" };
        var dataLogDir = new Option<DirectoryInfo?>("--dataLogDir") { Description = "ZooKeeper's dataLogDir, when its logs are not in dataDir" };
        var fromDump = new Option<FileInfo?>("--from-dump") { Description = "A dump written by zkgateway export" };
        var dataDir = new Option<DirectoryInfo>("--dataDir") { Description = "The embedded data directory to create (new or empty)", Required = true };
        var command = new RootCommand("zkgateway import") { fromZooKeeper, dataLogDir, fromDump, dataDir };
        var parsed = command.Parse(args);
        var errors = parsed.Errors.Select(e => e.Message).ToList();
        if (errors.Count == 0 && (parsed.GetValue(fromZooKeeper) is null) == (parsed.GetValue(fromDump) is null))
        {
            errors.Add("Give one of --from-zookeeper and --from-dump.");
        }
        if (errors.Count > 0)
        {
            return await CommandLineErrors.ReportAsync("import", errors).ConfigureAwait(false);
        }
        var target = parsed.GetValue(dataDir)!;
        try
        {
            IReadOnlyList<(string Path, long SessionId)> droppedEphemerals;
            var output = Console.Out;
            if (parsed.GetValue(fromZooKeeper) is { } source)
            {
                var image = ProgressDisplay.Run("reading " + source.FullName, progress =>
                    ZooKeeperDataDirectory.Load(source.FullName, parsed.GetValue(dataLogDir)?.FullName, progress));
                int nodes = DataDirectorySeed.Create(target.FullName, image.LastZxid, image.Tree.ToSeedNodes());
                await output.WriteLineAsync($"zkgateway import: {target.FullName} holds {nodes} nodes, every transaction up to zxid 0x{image.LastZxid:x} " +
                    $"(snapshot {Path.GetFileName(image.Snapshot)}, {image.Transactions} transactions from {image.Logs.Count} log files)").ConfigureAwait(false);
                droppedEphemerals = image.DroppedEphemerals;
            }
            else
            {
                var dump = DumpFile.Read(parsed.GetValue(fromDump)!.FullName);
                var (seed, dropped) = DumpConversions.ToSeed(dump);
                long lastZxid = DumpConversions.LastZxid(dump);
                int nodes = DataDirectorySeed.Create(target.FullName, lastZxid, seed);
                await output.WriteLineAsync($"zkgateway import: {target.FullName} holds {nodes} nodes, the dump of {dump.Source} at zxid 0x{lastZxid:x}").ConfigureAwait(false);
                if (!dump.KindsKnown)
                {
                    await output.WriteLineAsync("zkgateway import: the dump was read over the client protocol, which shows containers and TTL nodes as persistent: they are persistent here").ConfigureAwait(false);
                }
                droppedEphemerals = dropped;
            }
            await output.WriteLineAsync($"zkgateway import: {droppedEphemerals.Count} ephemeral nodes dropped (their sessions do not move to the gateway)").ConfigureAwait(false);
            foreach (var (path, session) in droppedEphemerals)
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
