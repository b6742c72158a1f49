using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// Brings a data directory of an earlier build (one SQLite database, <c>zkgateway.db</c>) to the log
/// and snapshot store, once: its rows become snapshot 0, its pending rows (transactions committed but
/// not yet written to user rows, by builds before the one-transaction commit) become log record 0,
/// to be replayed like any other. Only then is the database renamed to <c>zkgateway.db.migrated</c>
/// (kept, not deleted): a crash before that leaves it to be imported again.
/// </summary>
internal static class LegacySqliteImport
{
    public const string FileName = "zkgateway.db";
    public const string MigratedSuffix = ".migrated";

    public static void ImportIfPresent(string dir, ILogger logger)
    {
        string db = Path.Combine(dir, FileName);
        if (!File.Exists(db))
        {
            return;
        }
        if (SnapshotFile.Files(dir).Count == 0)
        {
            var (image, pending) = Read(db);
            using (var log = RecordLog.Create(dir, 0))
            {
                if (pending.Count > 0)
                {
                    var buffer = new FrameBuffer(4096);
                    StoreRecords.Encode(buffer, new CommitRecord([.. pending.Select(t => new CommitRequest(default, [], [], null, t.ClosedSessionId, t))]));
                    log.Append(buffer.WrittenSpan);
                }
            }
            var systemByPath = image.SystemNodes.ToDictionary(n => n.Path, StringComparer.Ordinal);
            var userPaths = image.UserNodes.Select(u => u.Path).ToHashSet(StringComparer.Ordinal);
            var nodes = image.UserNodes.Select(u => new SnapshotNode(u.Path, u, systemByPath.GetValueOrDefault(u.Path)))
                .Concat(image.SystemNodes.Where(n => !userPaths.Contains(n.Path)).Select(n => new SnapshotNode(n.Path, null, n)));
            SnapshotFile.Write(dir, 0, image.Epoch, image.Zxid, image.Sessions, nodes);
            logger.LogInformation("Imported {Db}: {Nodes} nodes, {Sessions} sessions, {Pending} pending transactions", db, image.UserNodes.Count, image.Sessions.Count, pending.Count);
        }
        foreach (string suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(db + suffix))
            {
                File.Move(db + suffix, db + suffix + MigratedSuffix, overwrite: true);
            }
        }
        DirectorySync.Flush(dir);
    }

    private static (SnapshotImage Image, List<Txn> Pending) Read(string file)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        using var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        var system = new List<SystemNode>();
        var sessions = new List<SessionRecord>();
        var users = new List<UserRow>();
        var pending = new List<Txn>();
        long epoch = 0;
        if (HasTable(connection, "system_nodes"))
        {
            foreach (var row in Rows(connection, "SELECT path, stat, acl FROM system_nodes"))
            {
                system.Add(new SystemNode(row.GetString(0), StorageCodec.DecodeStat((byte[])row[1]), StorageCodec.DecodeAcl((byte[])row[2])));
            }
        }
        if (HasTable(connection, "sessions"))
        {
            foreach (var row in Rows(connection, "SELECT id, password, timeout FROM sessions"))
            {
                sessions.Add(new SessionRecord(row.GetInt64(0), (byte[])row[1], row.GetInt32(2)));
            }
        }
        if (HasTable(connection, "user_nodes"))
        {
            foreach (var row in Rows(connection, "SELECT path, data, stat, acl FROM user_nodes"))
            {
                users.Add(new UserRow(row.GetString(0), row.IsDBNull(1) ? null : (byte[])row[1], StorageCodec.DecodeStat((byte[])row[2]), StorageCodec.DecodeAcl((byte[])row[3])));
            }
        }
        if (HasTable(connection, "pending"))
        {
            foreach (var row in Rows(connection, "SELECT txn FROM pending ORDER BY zxid"))
            {
                pending.Add(StorageCodec.DecodeTxn((byte[])row[0]));
            }
        }
        if (HasTable(connection, "meta"))
        {
            foreach (var row in Rows(connection, "SELECT value FROM meta WHERE key = 'epoch'"))
            {
                epoch = row.GetInt64(0);
            }
        }
        return (new SnapshotImage(0, epoch, users.Count == 0 ? 0 : users.Max(u => u.Stat.Mzxid), system, sessions, users), pending);
    }

    private static bool HasTable(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $t";
        command.Parameters.AddWithValue("$t", table);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static IEnumerable<SqliteDataReader> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return reader;
        }
    }
}
