using System.CommandLine;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Migration;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// <c>zkgateway export --server HOST:PORT --to FILE</c> (a running ZooKeeper or gateway, over the client
/// protocol) or <c>export --from-zookeeper DIR --to FILE</c> (a stopped ZooKeeper's files): the tree as a
/// portable dump (docs/migration.md).
/// </summary>
public sealed class ExportCommand : IOperatorCommand
{
    public string Name => "export";

    public string Summary => "--server HOST:PORT [--auth scheme:auth]… | --from-zookeeper DIR, --to FILE: the tree as a portable dump";

    public async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken)
    {
        var server = new Option<string?>("--server") { Description = "A running ZooKeeper or gateway, host:port" };
        var auth = new Option<string[]>("--auth") { Description = "addauth before reading, scheme:auth (e.g. digest:super:secret); repeatable", AllowMultipleArgumentsPerToken = false };
        var fromZooKeeper = new Option<DirectoryInfo?>("--from-zookeeper") { Description = "A stopped ZooKeeper's dataDir instead of a server" };
        var dataLogDir = new Option<DirectoryInfo?>("--dataLogDir") { Description = "ZooKeeper's dataLogDir, when its logs are not in dataDir" };
        var to = new Option<FileInfo>("--to") { Description = "The dump file to write", Required = true };
        var command = new RootCommand("zkgateway export") { server, auth, fromZooKeeper, dataLogDir, to };
        var parsed = command.Parse(args);
        var errors = parsed.Errors.Select(e => e.Message).ToList();
        if (errors.Count == 0 && (parsed.GetValue(server) is null) == (parsed.GetValue(fromZooKeeper) is null))
        {
            errors.Add("Give one of --server and --from-zookeeper.");
        }
        if (errors.Count > 0)
        {
            return await CommandLineErrors.ReportAsync("export", errors).ConfigureAwait(false);
        }
        var target = parsed.GetValue(to)!;
        try
        {
            DumpImage image;
            if (parsed.GetValue(server) is { } address)
            {
                image = await LiveTreeReader.ReadAsync(address, parsed.GetValue(auth) ?? [], cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var source = parsed.GetValue(fromZooKeeper)!;
                var zk = ProgressDisplay.Run("reading " + source.FullName, progress =>
                    ZooKeeperDataDirectory.Load(source.FullName, parsed.GetValue(dataLogDir)?.FullName, progress, dropEphemerals: false));
                image = new DumpImage(source.FullName, zk.LastZxid, KindsKnown: true, DumpConversions.FromTree(zk.Tree));
            }
            DumpFile.Write(target.FullName, image);
            await Console.Out.WriteLineAsync($"zkgateway export: {target.FullName}: {image.Nodes.Count} nodes, the state after zxid 0x{image.Zxid:x} of {image.Source}").ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"zkgateway export: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
