namespace ZkGateway.Gateway.Migration;

/// <summary>What an import read: the tree, the last zxid applied, the ephemerals dropped, the files used.</summary>
internal sealed record ZooKeeperImage(ZooKeeperTree Tree, long LastZxid, string Snapshot, IReadOnlyList<string> Logs, int Transactions, IReadOnlyList<(string Path, long SessionId)> DroppedEphemerals);

/// <summary>
/// Loads a ZooKeeper 3.x data directory the way ZooKeeper does at start-up (FileTxnSnapLog.restore):
/// the newest complete snapshot, then every transaction after its zxid from the log files, starting
/// with the newest log file that begins at or before the snapshot's zxid (FileTxnLog.getLogFiles).
/// It also checks what ZooKeeper does not: that no transaction is missing between the snapshot and
/// the last log record (zxids of one epoch are consecutive), so a deleted log file is an error rather
/// than an older tree.
/// </summary>
internal static class ZooKeeperDataDirectory
{
    /// <summary>
    /// Reads <paramref name="dataDir"/> (ZooKeeper's dataDir, or its version-2 folder) and, when given,
    /// <paramref name="dataLogDir"/> for the logs. <paramref name="progress"/> gets (bytes done, bytes in all).
    /// The ephemerals are removed (an import) unless <paramref name="dropEphemerals"/> is false (an export).
    /// </summary>
    public static ZooKeeperImage Load(string dataDir, string? dataLogDir, Action<long, long>? progress = null, bool dropEphemerals = true)
    {
        string snapDir = VersionDir(dataDir);
        string logDir = VersionDir(dataLogDir ?? dataDir);
        var snapshots = Files(snapDir, ZooKeeperSnapshot.Prefix).OrderByDescending(f => f.Zxid).ToList();
        var complete = snapshots.FirstOrDefault(f => ZooKeeperSnapshot.IsComplete(f.Path));
        if (complete.Path is null)
        {
            throw new InvalidDataException(snapshots.Count == 0
                ? $"{snapDir}: no snapshot.* file: not a ZooKeeper 3.x data directory"
                : $"{snapDir}: no complete snapshot ({snapshots.Count} incomplete)");
        }
        var logs = Files(logDir, ZooKeeperTxnLog.Prefix).OrderBy(f => f.Zxid).ToList();
        int first = logs.FindLastIndex(f => f.Zxid <= complete.Zxid);
        var used = logs.Skip(Math.Max(0, first)).ToList();

        long total = new FileInfo(complete.Path).Length + used.Sum(f => new FileInfo(f.Path).Length);
        long done = 0;
        var tree = ZooKeeperSnapshot.Read(complete.Path, n => progress?.Invoke(n, total));
        done += new FileInfo(complete.Path).Length;
        long lastZxid = complete.Zxid;
        int applied = 0;
        foreach (var log in used)
        {
            long before = done;
            foreach (var txn in ZooKeeperTxnLog.Read(log.Path, n => progress?.Invoke(before + n, total)))
            {
                if (txn.Zxid <= lastZxid)
                {
                    continue; // in the snapshot already
                }
                // Within an epoch every transaction takes the next zxid; a new epoch starts over.
                if (txn.Zxid >> 32 == lastZxid >> 32 && txn.Zxid != lastZxid + 1)
                {
                    throw new InvalidDataException($"{txn.File}: offset {txn.Offset}: transaction 0x{txn.Zxid:x} follows 0x{lastZxid:x}: the transactions between them are missing (a log file deleted?)");
                }
                ZooKeeperTxnReplay.Apply(tree, txn);
                lastZxid = txn.Zxid;
                applied++;
            }
            done += new FileInfo(log.Path).Length;
            progress?.Invoke(done, total);
        }
        var dropped = dropEphemerals ? tree.DropEphemerals() : [];
        return new ZooKeeperImage(tree, lastZxid, complete.Path, [.. used.Select(f => f.Path)], applied, dropped);
    }

    private static string VersionDir(string dir)
    {
        string version2 = Path.Combine(dir, "version-2");
        if (Directory.Exists(version2))
        {
            return version2;
        }
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{dir}: no such directory");
        }
        return dir;
    }

    private static IEnumerable<(long Zxid, string Path)> Files(string dir, string prefix) =>
        Directory.EnumerateFiles(dir, prefix + "*")
            .Select(p => (Zxid: ZooKeeperSnapshot.ZxidOfName(Path.GetFileName(p), prefix), Path: p))
            .Where(f => f.Zxid >= 0);
}
