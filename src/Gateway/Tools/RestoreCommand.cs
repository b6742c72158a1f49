using System.CommandLine;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// <c>zkgateway restore --from FILE --dataDir DIR</c>: lays a backup down as an embedded data directory,
/// all or nothing, while no gateway runs on it (docs/backup.md). The directory must be new or empty.
/// </summary>
public sealed class RestoreCommand : IOperatorCommand
{
    public string Name => "restore";

    public string Summary => "--from FILE --dataDir DIR: a backup into a new embedded data directory";

    public async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken)
    {
        var from = new Option<FileInfo>("--from") { Description = "The backup file (zkgateway backup)", Required = true };
        var dataDir = new Option<DirectoryInfo>("--dataDir") { Description = "The data directory to create", Required = true };
        var command = new RootCommand("zkgateway restore") { from, dataDir };
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return await CommandLineErrors.ReportAsync("restore", parsed.Errors.Select(e => e.Message)).ConfigureAwait(false);
        }
        var source = parsed.GetValue(from)!;
        var target = parsed.GetValue(dataDir)!;
        try
        {
            await using var file = source.OpenRead();
            long lastZxid = BackupBundle.Restore(file, target.FullName);
            await Console.Out.WriteLineAsync($"zkgateway restore: {target.FullName} holds the backup, every transaction up to zxid 0x{lastZxid:x}").ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"zkgateway restore: {source.FullName}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
