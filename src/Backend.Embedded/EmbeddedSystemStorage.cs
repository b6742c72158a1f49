using Microsoft.Data.Sqlite;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// System storage for the embedded deployment: node metadata, sessions and pending transactions in
/// SQLite (committed with fsync), mirrored in memory for reads; timed locks and counters in memory,
/// since they need not outlive the one process that uses them (the zxid counter restarts each epoch).
/// <para>
/// Given a user-row writer (the embedded deployment passes <see cref="EmbeddedUserStorage.WriteRows"/>),
/// a commit writes each transaction's user-storage rows in the same fsync'd SQLite transaction instead
/// of a pending row: one SQLite transaction per writer batch instead of two (the writer's, then the
/// persister's), and nothing left to re-apply after a crash. The pending list is then kept in memory
/// only, for the distributor (its in-process queue dies with the process anyway).
/// </para>
/// </summary>
public sealed class EmbeddedSystemStorage : ISystemStorage, INodeTypeIndex
{
    private readonly SqliteDatabase _db;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SystemNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (LockToken Token, long ExpiresAt)> _locks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<long, SessionRecord> _sessions = [];
    private readonly Dictionary<long, SortedSet<string>> _ephemerals = [];
    private readonly HashSet<string> _containersAndTtls = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, Txn> _pending = [];
    private readonly Action<SqliteTransaction, IReadOnlyList<Txn>>? _writeUserRows;

    /// <param name="db">The database.</param>
    /// <param name="time">The clock for lock leases.</param>
    /// <param name="writeUserRows">
    /// Writes transactions' user-storage rows inside the given SQLite transaction; when set, commits
    /// write them instead of pending rows (see the class remarks). Null: pending rows, as on AWS.
    /// </param>
    public EmbeddedSystemStorage(SqliteDatabase db, TimeProvider time, Action<SqliteTransaction, IReadOnlyList<Txn>>? writeUserRows = null)
    {
        _db = db;
        _time = time;
        _writeUserRows = writeUserRows;
        Load();
    }

    private void Load()
    {
        using (var command = _db.System.CreateCommand())
        {
            command.CommandText = "SELECT path, stat, acl FROM system_nodes";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var node = new SystemNode(reader.GetString(0), StorageCodec.DecodeStat((byte[])reader[1]), StorageCodec.DecodeAcl((byte[])reader[2]));
                _nodes[node.Path] = node;
                TrackEphemeral(node, add: true);
            }
        }
        using (var command = _db.System.CreateCommand())
        {
            command.CommandText = "SELECT id, password, timeout FROM sessions";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var session = new SessionRecord(reader.GetInt64(0), (byte[])reader[1], reader.GetInt32(2));
                _sessions[session.SessionId] = session;
            }
        }
        using (var command = _db.System.CreateCommand())
        {
            command.CommandText = "SELECT zxid, txn FROM pending ORDER BY zxid";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                _pending[reader.GetInt64(0)] = StorageCodec.DecodeTxn((byte[])reader[1]);
            }
        }
    }

    /// <summary>True when the store holds no nodes yet (a fresh data directory).</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Count == 0;
            }
        }
    }

    /// <summary>Sets a counter's value (the zxid counter starts at epoch &lt;&lt; 32 each start-up).</summary>
    public void SetCounter(string name, long value)
    {
        lock (_lock)
        {
            _counters[name] = value;
        }
    }

    public ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_counters.GetValueOrDefault(name));
        }
    }

    public ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_ephemerals.Sum(e => e.Value.Count));
        }
    }

    public ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (_locks.TryGetValue(path, out var held) && held.Token != token && held.ExpiresAt > now)
            {
                return ValueTask.FromResult(new LockResult(false, null));
            }
            _locks[path] = (token, now + (long)lease.TotalMilliseconds);
            return ValueTask.FromResult(new LockResult(true, _nodes.GetValueOrDefault(path)));
        }
    }

    public ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_locks.TryGetValue(path, out var held) && held.Token == token)
            {
                _locks.Remove(path);
            }
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default)
    {
        var applied = new bool[requests.Count];
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            for (int i = 0; i < requests.Count; i++)
            {
                var request = requests[i];
                applied[i] = request.LockedPaths.All(p => _locks.TryGetValue(p, out var held) && held.Token == request.Token && held.ExpiresAt > now);
            }
        }

        await _db.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _db.System.BeginTransaction();
            var upsertNode = _db.Prepare(transaction, "INSERT INTO system_nodes(path, stat, acl) VALUES($p, $s, $a) ON CONFLICT(path) DO UPDATE SET stat = excluded.stat, acl = excluded.acl", "$p", "$s", "$a");
            var deleteNode = _db.Prepare(transaction, "DELETE FROM system_nodes WHERE path = $p", "$p");
            var insertSession = _db.Prepare(transaction, "INSERT OR REPLACE INTO sessions(id, password, timeout) VALUES($i, $w, $t)", "$i", "$w", "$t");
            var deleteSession = _db.Prepare(transaction, "DELETE FROM sessions WHERE id = $i", "$i");
            var insertPending = _db.Prepare(transaction, "INSERT INTO pending(zxid, txn) VALUES($z, $x)", "$z", "$x");
            var userRows = _writeUserRows is null ? null : new List<Txn>(requests.Count);
            for (int i = 0; i < requests.Count; i++)
            {
                if (!applied[i])
                {
                    continue;
                }
                var request = requests[i];
                foreach (var write in request.Nodes)
                {
                    if (write.NewState is { } state)
                    {
                        SqliteDatabase.Run(upsertNode, write.Path, StorageCodec.EncodeStat(state.Stat), StorageCodec.EncodeAcl(state.Acl));
                    }
                    else
                    {
                        SqliteDatabase.Run(deleteNode, write.Path);
                    }
                }
                if (request.CreatedSession is { } session)
                {
                    SqliteDatabase.Run(insertSession, session.SessionId, session.Password, session.TimeoutMs);
                }
                if (request.ClosedSession != 0)
                {
                    SqliteDatabase.Run(deleteSession, request.ClosedSession);
                }
                if (request.Pending.ChangesState)
                {
                    if (userRows is not null)
                    {
                        userRows.Add(request.Pending);
                    }
                    else
                    {
                        SqliteDatabase.Run(insertPending, request.Pending.Zxid, StorageCodec.EncodeTxn(request.Pending));
                    }
                }
            }
            if (userRows is { Count: > 0 })
            {
                _writeUserRows!(transaction, userRows);
            }
            transaction.Commit();
        }
        finally
        {
            _db.WriteLock.Release();
        }

        lock (_lock)
        {
            for (int i = 0; i < requests.Count; i++)
            {
                var request = requests[i];
                if (applied[i])
                {
                    foreach (var write in request.Nodes)
                    {
                        if (_nodes.TryGetValue(write.Path, out var old))
                        {
                            TrackEphemeral(old, add: false);
                        }
                        if (write.NewState is { } state)
                        {
                            _nodes[write.Path] = state;
                            TrackEphemeral(state, add: true);
                        }
                        else
                        {
                            _nodes.Remove(write.Path);
                        }
                    }
                    if (request.CreatedSession is { } session)
                    {
                        _sessions[session.SessionId] = session;
                    }
                    if (request.ClosedSession != 0)
                    {
                        _sessions.Remove(request.ClosedSession);
                        _ephemerals.Remove(request.ClosedSession);
                    }
                    if (request.Pending.ChangesState)
                    {
                        _pending[request.Pending.Zxid] = request.Pending;
                    }
                }
                foreach (string path in request.LockedPaths)
                {
                    if (_locks.TryGetValue(path, out var held) && held.Token == request.Token)
                    {
                        _locks.Remove(path);
                    }
                }
            }
        }
        return applied;
    }

    public ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            long value = _counters.GetValueOrDefault(name) + 1;
            _counters[name] = value;
            return ValueTask.FromResult(value);
        }
    }

    public ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_nodes.GetValueOrDefault(path));
        }
    }

    /// <summary>
    /// Start-up recovery with a user-row writer: writes the user rows of pending transactions left by a
    /// crash (or by a build that wrote pending rows) and deletes those pending rows, in one fsync'd
    /// SQLite transaction. A crash before it commits leaves them pending, to be recovered again.
    /// </summary>
    public async ValueTask CompleteRecoveredAsync(IReadOnlyList<Txn> recovered, CancellationToken cancellationToken = default)
    {
        if (_writeUserRows is null || recovered.Count == 0)
        {
            return;
        }
        await _db.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _db.System.BeginTransaction();
            _writeUserRows(transaction, recovered);
            var pop = _db.Prepare(transaction, "DELETE FROM pending WHERE zxid <= $z", "$z");
            SqliteDatabase.Run(pop, recovered.Max(t => t.Zxid));
            transaction.Commit();
        }
        finally
        {
            _db.WriteLock.Release();
        }
    }

    public ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<Txn>>([.. _pending.Values]);
        }
    }

    /// <summary>
    /// Forgets applied pending entries in memory. Their rows, if any (no user-row writer), are deleted
    /// by the user storage in the same SQLite transaction that persisted them (see <see cref="SqliteDatabase"/>).
    /// </summary>
    public ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            while (_pending.Count > 0)
            {
                long first = _pending.Keys.First();
                if (first > zxid)
                {
                    break;
                }
                _pending.Remove(first);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_sessions.GetValueOrDefault(sessionId));
        }
    }

    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<SessionRecord>>([.. _sessions.Values]);
        }
    }

    public ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>(_ephemerals.TryGetValue(sessionId, out var set) ? [.. set] : []);
        }
    }

    public async ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default)
    {
        SessionRecord? updated;
        lock (_lock)
        {
            if (!_sessions.TryGetValue(sessionId, out var session) || session.TimeoutMs == timeoutMs)
            {
                return;
            }
            _sessions[sessionId] = updated = session with { TimeoutMs = timeoutMs };
        }
        await _db.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _db.System.CreateCommand();
            command.CommandText = "UPDATE sessions SET timeout = $t WHERE id = $i";
            command.Parameters.AddWithValue("$t", updated.TimeoutMs);
            command.Parameters.AddWithValue("$i", updated.SessionId);
            command.ExecuteNonQuery();
        }
        finally
        {
            _db.WriteLock.Release();
        }
    }

    public ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>([.. _containersAndTtls]);
        }
    }

    private void TrackEphemeral(SystemNode node, bool add)
    {
        // Container and TTL markers (negative owners) are not sessions; the reaper's index holds them.
        long owner = node.Stat.EphemeralOwner;
        if (owner < 0)
        {
            if (NodeKinds.IsContainer(owner) || NodeKinds.TtlOf(owner) is not null)
            {
                if (add)
                {
                    _containersAndTtls.Add(node.Path);
                }
                else
                {
                    _containersAndTtls.Remove(node.Path);
                }
            }
            return;
        }
        if (owner == 0)
        {
            return;
        }
        if (add)
        {
            if (!_ephemerals.TryGetValue(owner, out var set))
            {
                _ephemerals[owner] = set = new SortedSet<string>(StringComparer.Ordinal);
            }
            set.Add(node.Path);
        }
        else if (_ephemerals.TryGetValue(owner, out var set))
        {
            set.Remove(node.Path);
            if (set.Count == 0)
            {
                _ephemerals.Remove(owner);
            }
        }
    }

}
