using Microsoft.Extensions.Logging;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// Creates a data directory all or nothing: its files are laid down in <c>&lt;dataDir&gt;.&lt;suffix&gt;</c>
/// beside it, recovered once as a start-up would (which proves them whole), and only then renamed into
/// place. The target must be absent or empty, so live data is never overwritten. Restore and import
/// both go through here.
/// </summary>
internal static class StagedDataDirectory
{
    public static T Create<T>(string dataDir, string suffix, Func<string, T> fill, ILogger? logger)
    {
        dataDir = Path.GetFullPath(dataDir).TrimEnd(Path.DirectorySeparatorChar);
        if (Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any())
        {
            throw new IOException($"{dataDir} already holds data: write only into an empty or new data directory (move the old one aside first)");
        }
        string staging = dataDir + "." + suffix;
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
        Directory.CreateDirectory(staging);
        try
        {
            T result = fill(staging);
            // Recovery proves the snapshot's checksum and the records' order; it also leaves an empty log file.
            DurableStore.Open(staging, long.MaxValue, logger).Dispose();
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir);
            }
            Directory.Move(staging, dataDir);
            DirectorySync.Flush(Path.GetDirectoryName(dataDir)!);
            return result;
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }
}
