using Microsoft.Data.Sqlite;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// The embedded deployment's durable store: one SQLite database in WAL mode under the data directory.
/// <para>
/// Two connections with different durability. The <b>system</b> connection commits with
/// <c>synchronous=FULL</c>: the WAL is fsync'd before a commit returns, so a write is durable before it
/// is acknowledged. The <b>user</b> connection (the distributor's) uses <c>synchronous=NORMAL</c>:
/// no fsync, because everything it writes can be rebuilt from the pending transactions that the system
/// connection made durable; it deletes those pending rows in the same transaction as it applies them,
/// and WAL commits are ordered, so after a crash a pending row is present exactly when its
/// application may have been lost.
/// </para>
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    public const string FileName = "zkgateway.db";

    private SqliteDatabase(SqliteConnection system, SqliteConnection user)
    {
        System = system;
        User = user;
    }

    /// <summary>The fsync-on-commit connection (writer commits, epoch). Use under <see cref="SystemLock"/>.</summary>
    public SqliteConnection System { get; }

    /// <summary>The relaxed connection (distributor applies). Use under <see cref="UserLock"/>.</summary>
    public SqliteConnection User { get; }

    public SemaphoreSlim SystemLock { get; } = new(1, 1);

    public SemaphoreSlim UserLock { get; } = new(1, 1);

    public static SqliteDatabase Open(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        string path = Path.Combine(dataDir, FileName);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        var system = new SqliteConnection(builder.ConnectionString);
        system.Open();
        Execute(system, "PRAGMA journal_mode=WAL;");
        Execute(system, "PRAGMA synchronous=FULL;");
        Execute(system, "PRAGMA busy_timeout=10000;");
        Execute(system, """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS system_nodes (path TEXT PRIMARY KEY, stat BLOB NOT NULL, acl BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, password BLOB NOT NULL, timeout INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS pending (zxid INTEGER PRIMARY KEY, txn BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS user_nodes (path TEXT PRIMARY KEY, data BLOB NOT NULL, stat BLOB NOT NULL, acl BLOB NOT NULL);
            """);
        var user = new SqliteConnection(builder.ConnectionString);
        user.Open();
        Execute(user, "PRAGMA synchronous=NORMAL;");
        Execute(user, "PRAGMA busy_timeout=10000;");
        return new SqliteDatabase(system, user);
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    /// <summary>A command in a transaction with named parameters, to be run many times with <see cref="Run"/>.</summary>
    public static SqliteCommand Prepare(SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (string name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        command.Prepare();
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
        System.Dispose();
        User.Dispose();
        SystemLock.Dispose();
        UserLock.Dispose();
    }
}
