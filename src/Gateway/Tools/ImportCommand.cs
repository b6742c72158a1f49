using System.CommandLine;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Migration;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// <c>zkgateway import --from-zookeeper DIR | --from-dump FILE</c>: reads a stopped ZooKeeper 3.x server's
/// data directory (newest snapshot plus the logs after it) or a dump, and writes the same tree into a
/// new embedded data directory (<c>--dataDir DIR</c>, all or nothing) or, from the sidecar's executable,
/// into an AWS deployment (<c>--backend=aws</c> and the server's <c>--aws.*</c> keys or ZKGW_AWS_*
/// environment; resumable). Ephemeral nodes are dropped and listed (docs/migration.md).
/// </summary>
public sealed class ImportCommand : IOperatorCommand
{
    public string Name => "import";

    public string Summary => "--from-zookeeper DIR [--dataLogDir DIR] | --from-dump FILE, then --dataDir DIR (a new embedded one) | --backend=aws [--aws.key=value]… (an AWS deployment, from ZkGateway.Aws)";

    public async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken)
    {
        var fromZooKeeper = new Option<DirectoryInfo?>("--from-zookeeper") { Description = "A stopped ZooKeeper 3.x server's dataDir (or its version-2 folder)" };
        var dataLogDir = new Option<DirectoryInfo?>("--dataLogDir") { Description = "ZooKeeper's dataLogDir, when its logs are not in dataDir" };
        var fromDump = new Option<FileInfo?>("--from-dump") { Description = "A dump written by zkgateway export" };
        var dataDir = new Option<DirectoryInfo?>("--dataDir") { Description = "The embedded data directory to create (new or empty)" };
        // Everything else is the server's own configuration (--backend=aws, --aws.*=…, --config zoo.cfg).
        var command = new RootCommand("zkgateway import") { fromZooKeeper, dataLogDir, fromDump, dataDir };
        command.TreatUnmatchedTokensAsErrors = false;
        var parsed = command.Parse(args);
        var errors = parsed.Errors.Select(e => e.Message).ToList();
        if (errors.Count == 0 && (parsed.GetValue(fromZooKeeper) is null) == (parsed.GetValue(fromDump) is null))
        {
            errors.Add("Give one of --from-zookeeper and --from-dump.");
        }
        ITreeImportTarget? cloud = null;
        GatewayOptions? options = null;
        try
        {
            options = ZooCfg.Parse(parsed.UnmatchedTokens);
        }
        catch (GatewayConfigurationException e)
        {
            errors.Add(e.Message);
        }
        if (options is not null && options.Raw.ContainsKey(ZooCfg.Keys.Backend) && options.Backend != EmbeddedBackendProvider.Instance.Name)
        {
            cloud = providers.OfType<ITreeImportTarget>().FirstOrDefault(p => p.Name == options.Backend);
            if (cloud is null)
            {
                errors.Add($"This executable cannot import into backend '{options.Backend}' (the AWS one is in ZkGateway.Aws, the sidecar's executable).");
            }
            else if (parsed.GetValue(dataDir) is not null)
            {
                errors.Add($"--dataDir is for an embedded target; --backend={options.Backend} writes into the deployment its keys name.");
            }
        }
        else if (errors.Count == 0 && parsed.GetValue(dataDir) is null)
        {
            errors.Add("Give --dataDir (a new embedded data directory) or --backend=aws (an AWS deployment).");
        }
        if (errors.Count > 0)
        {
            return await CommandLineErrors.ReportAsync("import", errors).ConfigureAwait(false);
        }
        try
        {
            var output = Console.Out;
            var tree = ReadTree(parsed.GetValue(fromZooKeeper), parsed.GetValue(dataLogDir), parsed.GetValue(fromDump));
            if (cloud is not null)
            {
                var lines = await ProgressDisplay.RunAsync($"importing into {cloud.Name}", progress =>
                    cloud.ImportAsync(options!, tree.LastZxid, tree.Nodes, tree.Source, progress, cancellationToken)).ConfigureAwait(false);
                foreach (string line in lines)
                {
                    await output.WriteLineAsync("zkgateway import: " + line).ConfigureAwait(false);
                }
            }
            else
            {
                var target = parsed.GetValue(dataDir)!;
                int nodes = DataDirectorySeed.Create(target.FullName, tree.LastZxid, tree.Nodes);
                await output.WriteLineAsync($"zkgateway import: {target.FullName} holds {nodes} nodes, {tree.Describe}").ConfigureAwait(false);
            }
            if (tree.KindsUnknown)
            {
                await output.WriteLineAsync("zkgateway import: the dump was read over the client protocol, which shows containers and TTL nodes as persistent: they are persistent here").ConfigureAwait(false);
            }
            await output.WriteLineAsync($"zkgateway import: {tree.Dropped.Count} ephemeral nodes dropped (their sessions do not move to the gateway)").ConfigureAwait(false);
            foreach (var (path, session) in tree.Dropped)
            {
                await output.WriteLineAsync($"  dropped ephemeral {path} (session 0x{session:x})").ConfigureAwait(false);
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"zkgateway import: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The tree to import, whatever its source: its nodes (ephemerals dropped), the zxid it is the state after, and how to describe it.</summary>
    private sealed record SourceTree(IReadOnlyCollection<SeedNode> Nodes, long LastZxid, string Source, string Describe, bool KindsUnknown, IReadOnlyList<(string Path, long SessionId)> Dropped);

    private static SourceTree ReadTree(DirectoryInfo? fromZooKeeper, DirectoryInfo? dataLogDir, FileInfo? fromDump)
    {
        if (fromZooKeeper is not null)
        {
            var image = ProgressDisplay.Run("reading " + fromZooKeeper.FullName, progress =>
                ZooKeeperDataDirectory.Load(fromZooKeeper.FullName, dataLogDir?.FullName, progress));
            return new SourceTree(image.Tree.ToSeedNodes(), image.LastZxid, fromZooKeeper.FullName,
                $"every transaction up to zxid 0x{image.LastZxid:x} (snapshot {Path.GetFileName(image.Snapshot)}, {image.Transactions} transactions from {image.Logs.Count} log files)",
                KindsUnknown: false, image.DroppedEphemerals);
        }
        var dump = DumpFile.Read(fromDump!.FullName);
        var (seed, dropped) = DumpConversions.ToSeed(dump);
        long lastZxid = DumpConversions.LastZxid(dump);
        return new SourceTree(seed, lastZxid, fromDump.FullName, $"the dump of {dump.Source} at zxid 0x{lastZxid:x}", !dump.KindsKnown, dropped);
    }
}
