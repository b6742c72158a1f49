using Microsoft.Data.Sqlite;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// The embedded deployment's durable store: one SQLite database in WAL mode under the data directory.
/// <para>
/// One connection, which commits with <c>synchronous=FULL</c>: the WAL is fsync'd before a commit
/// returns, so a write is durable before it is acknowledged. The writer's commit writes system rows and
/// user rows in one transaction (see <see cref="EmbeddedSystemStorage"/>); a database written by an
/// older build may hold pending rows, which start-up re-applies.
/// </para>
/// <para>
/// The connection holds the database in <c>locking_mode=EXCLUSIVE</c>: the gateway process is its only
/// user, so SQLite takes its file lock once instead of per transaction and keeps the WAL index in
/// process memory instead of a shared-memory file, and its page cache stays valid between
/// transactions (measured per write: 6 fcntl and the page re-reads gone). A second process cannot open
/// the database while the gateway runs; the lock dies with the process (kill -9 included).
/// </para>
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    public const string FileName = "zkgateway.db";

    private SqliteDatabase(SqliteConnection connection)
    {
        System = connection;
    }

    /// <summary>The fsync-on-commit connection (writer commits, epoch). Use under <see cref="WriteLock"/>.</summary>
    public SqliteConnection System { get; }

    /// <summary>
    /// One lock for every transaction on the connection (writer commits, start-up recovery). Waiting here hands the database over as soon as the other transaction
    /// commits; left to contend inside SQLite, the loser's busy handler slept in millisecond steps.
    /// </summary>
    public SemaphoreSlim WriteLock { get; } = new(1, 1);

    /// <summary>Prepared commands by connection and text; used only under <see cref="WriteLock"/>.</summary>
    private readonly Dictionary<(SqliteConnection, string), SqliteCommand> _prepared = [];

    public static SqliteDatabase Open(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        string path = Path.Combine(dataDir, FileName);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        var system = new SqliteConnection(builder.ConnectionString);
        system.Open();
        // Before the first access in WAL mode, so that no shared-memory WAL index is ever made.
        Execute(system, "PRAGMA locking_mode=EXCLUSIVE;");
        Execute(system, "PRAGMA journal_mode=WAL;");
        Execute(system, "PRAGMA synchronous=FULL;");
        Execute(system, "PRAGMA busy_timeout=10000;");
        Execute(system, """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS system_nodes (path TEXT PRIMARY KEY, stat BLOB NOT NULL, acl BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, password BLOB NOT NULL, timeout INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS pending (zxid INTEGER PRIMARY KEY, txn BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS user_nodes (path TEXT PRIMARY KEY, data BLOB, stat BLOB NOT NULL, acl BLOB NOT NULL);
            """);
        AllowNullData(system);
        return new SqliteDatabase(system);
    }

    /// <summary>
    /// user_nodes.data holds SQL NULL for null data (ZooKeeper keeps a create or setData with a -1 buffer
    /// as null). Databases made before that declared it NOT NULL; SQLite cannot drop a constraint, so
    /// such a table is copied into a new one, in one transaction (a crash leaves the old table whole).
    /// </summary>
    private static void AllowNullData(SqliteConnection connection)
    {
        using (var info = connection.CreateCommand())
        {
            info.CommandText = "SELECT \"notnull\" FROM pragma_table_info('user_nodes') WHERE name = 'data'";
            if (Convert.ToInt64(info.ExecuteScalar(), global::System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return;
            }
        }
        using var transaction = connection.BeginTransaction();
        Execute(connection, """
            CREATE TABLE user_nodes_v2 (path TEXT PRIMARY KEY, data BLOB, stat BLOB NOT NULL, acl BLOB NOT NULL);
            INSERT INTO user_nodes_v2(path, data, stat, acl) SELECT path, data, stat, acl FROM user_nodes;
            DROP TABLE user_nodes;
            ALTER TABLE user_nodes_v2 RENAME TO user_nodes;
            """, transaction);
        transaction.Commit();
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// A prepared command for <paramref name="sql"/> on the transaction's connection, enlisted in the
    /// transaction. Commands are compiled once and kept (statement preparation cost more than the
    /// inserts themselves on small batches); callers must not dispose them.
    /// </summary>
    public SqliteCommand Prepare(SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var connection = transaction.Connection!;
        var key = (connection, sql);
        if (!_prepared.TryGetValue(key, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (string name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
            command.Transaction = transaction;
            command.Prepare();
            _prepared[key] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Runs a prepared command with its parameters' values in order.</summary>
    public static void Run(SqliteCommand command, params object[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
        command.ExecuteNonQuery();
    }

    public long? ReadMeta(string key)
    {
        using var command = System.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $k";
        command.Parameters.AddWithValue("$k", key);
        object? value = command.ExecuteScalar();
        return value is null or DBNull ? null : Convert.ToInt64(value, global::System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Writes a meta value durably (fsync), e.g. the epoch at start-up.</summary>
    public void WriteMetaDurably(string key, long value)
    {
        using var command = System.CreateCommand();
        command.CommandText = "INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$k", key);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }
        System.Dispose();
        WriteLock.Dispose();
    }
}
