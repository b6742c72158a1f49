using Microsoft.Data.Sqlite;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// User storage for the embedded deployment: the tree in memory for direct reads, persisted to SQLite
/// in <c>user_nodes</c>. A reader-writer lock makes each read atomic with respect to each applied
/// transaction and its watch firing.
/// <para>
/// The writer's fsync'd commit writes the rows (<see cref="WriteRows"/>, called by
/// <see cref="EmbeddedSystemStorage"/>), so applying a transaction here only updates memory.
/// </para>
/// </summary>
public sealed class EmbeddedUserStorage : IUserStorage, IDisposable
{
    private sealed class Entry(byte[]? data, Stat stat, IReadOnlyList<Acl> acl)
    {
        /// <summary>Null when the node was created or set with null data (ZooKeeper keeps it null).</summary>
        public byte[]? Data = data;
        public Stat Stat = stat;
        public IReadOnlyList<Acl> Acl = acl;
        public readonly HashSet<string> Children = new(StringComparer.Ordinal);

        // What reads hand out, made once per change of the node (under the write lock, Changed)
        // rather than once per read; its Children is the live set, as before.
        private UserNode? _view;

        public UserNode View(string path) => _view ??= new UserNode(path, Data, Stat, Acl, Children);

        public void Changed() => _view = null;
    }

    private readonly SqliteDatabase _db;
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, Entry> _nodes = new(StringComparer.Ordinal);
    private long _appliedZxid;
    private long _dataSize;
    public EmbeddedUserStorage(SqliteDatabase db)
    {
        _db = db;
        Load();
    }

    public long AppliedZxid => Volatile.Read(ref _appliedZxid);

    public int NodeCount
    {
        get
        {
            _gate.EnterReadLock();
            try
            {
                return _nodes.Count;
            }
            finally
            {
                _gate.ExitReadLock();
            }
        }
    }

    public long ApproximateDataSize => Volatile.Read(ref _dataSize);

    /// <summary>Sets the applied zxid after recovery (the start of the new epoch).</summary>
    public void SetAppliedZxid(long zxid) => Volatile.Write(ref _appliedZxid, zxid);

    private void Load()
    {
        using var command = _db.System.CreateCommand();
        command.CommandText = "SELECT path, data, stat, acl FROM user_nodes";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            string path = reader.GetString(0);
            var entry = new Entry(reader.IsDBNull(1) ? null : (byte[])reader[1], StorageCodec.DecodeStat((byte[])reader[2]), StorageCodec.DecodeAcl((byte[])reader[3]));
            _nodes[path] = entry;
            _dataSize += path.Length + (entry.Data?.Length ?? 0);
        }
        foreach (string path in _nodes.Keys)
        {
            if (ZkPath.Parent(path) is { } parent && _nodes.TryGetValue(parent, out var parentEntry))
            {
                parentEntry.Children.Add(ZkPath.Name(path));
            }
        }
    }

    public ValueTask<T> ReadAsync<T>(string path, Func<UserNode?, long, T> read, CancellationToken cancellationToken = default) =>
        ReadAsync(path, read, static (node, zxid, read) => read(node, zxid), cancellationToken);

    public ValueTask<T> ReadAsync<TState, T>(string path, TState state, Func<UserNode?, long, TState, T> read, CancellationToken cancellationToken = default)
    {
        _gate.EnterReadLock();
        try
        {
            UserNode? node = _nodes.TryGetValue(path, out var entry) ? entry.View(path) : null;
            return ValueTask.FromResult(read(node, _appliedZxid, state));
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    public ValueTask<int> CountDescendantsAsync(string path, CancellationToken cancellationToken = default)
    {
        _gate.EnterReadLock();
        try
        {
            if (!_nodes.TryGetValue(path, out var entry))
            {
                return ValueTask.FromResult(-1);
            }
            int count = 0;
            var stack = new Stack<(string Path, Entry Entry)>();
            stack.Push((path, entry));
            while (stack.Count > 0)
            {
                var (p, e) = stack.Pop();
                foreach (string child in e.Children)
                {
                    count++;
                    string childPath = ZkPath.Join(p, child);
                    if (_nodes.TryGetValue(childPath, out var c))
                    {
                        stack.Push((childPath, c));
                    }
                }
            }
            return ValueTask.FromResult(count);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    public ValueTask ApplyAsync(IReadOnlyList<Txn> txns, Action<Txn> onApplied, CancellationToken cancellationToken = default)
    {
        foreach (var txn in txns)
        {
            _gate.EnterWriteLock();
            try
            {
                foreach (var change in txn.Changes)
                {
                    ApplyInMemory(change);
                }
                if (txn.Zxid > _appliedZxid)
                {
                    Volatile.Write(ref _appliedZxid, txn.Zxid);
                }
                onApplied(txn);
            }
            finally
            {
                _gate.ExitWriteLock();
            }
        }
        return ValueTask.CompletedTask;
    }

    private void ApplyInMemory(NodeChange change)
    {
        string? parent = ZkPath.Parent(change.Path);
        if (change.Kind == NodeChangeKind.Delete)
        {
            if (_nodes.Remove(change.Path, out var removed))
            {
                _dataSize -= change.Path.Length + (removed.Data?.Length ?? 0);
            }
            if (parent is not null && _nodes.TryGetValue(parent, out var p))
            {
                p.Children.Remove(ZkPath.Name(change.Path));
            }
            return;
        }
        if (_nodes.TryGetValue(change.Path, out var entry))
        {
            if (change.WritesData)
            {
                _dataSize += (change.Data?.Length ?? 0) - (entry.Data?.Length ?? 0);
                entry.Data = change.Data;
            }
            entry.Stat = change.Stat;
            if (change.Acl is not null)
            {
                entry.Acl = change.Acl;
            }
            entry.Changed();
            return;
        }
        var created = new Entry(change.WritesData ? change.Data : [], change.Stat, change.Acl ?? Acl.OpenAclUnsafe);
        _nodes[change.Path] = created;
        _dataSize += change.Path.Length + (created.Data?.Length ?? 0);
        if (parent is not null && _nodes.TryGetValue(parent, out var parentEntry))
        {
            parentEntry.Children.Add(ZkPath.Name(change.Path));
        }
    }

    /// <summary>
    /// Writes the transactions' changes to <c>user_nodes</c> inside <paramref name="transaction"/>, in
    /// order. The caller holds <see cref="SqliteDatabase.WriteLock"/> and commits.
    /// </summary>
    internal void WriteRows(SqliteTransaction transaction, IReadOnlyList<Txn> txns)
    {
        var insert = _db.Prepare(transaction, "INSERT INTO user_nodes(path, data, stat, acl) VALUES($p, $d, $s, $a) ON CONFLICT(path) DO UPDATE SET data = excluded.data, stat = excluded.stat, acl = excluded.acl", "$p", "$d", "$s", "$a");
        var updateStat = _db.Prepare(transaction, "UPDATE user_nodes SET stat = $s, acl = COALESCE($a, acl) WHERE path = $p", "$p", "$s", "$a");
        var delete = _db.Prepare(transaction, "DELETE FROM user_nodes WHERE path = $p", "$p");
        foreach (var txn in txns)
        {
            foreach (var change in txn.Changes)
            {
                if (change.Kind == NodeChangeKind.Delete)
                {
                    SqliteDatabase.Run(delete, change.Path);
                }
                else if (change.WritesData)
                {
                    SqliteDatabase.Run(insert, change.Path, (object?)change.Data ?? DBNull.Value, StorageCodec.EncodeStat(change.Stat), StorageCodec.EncodeAcl(change.Acl ?? Acl.OpenAclUnsafe));
                }
                else
                {
                    SqliteDatabase.Run(updateStat, change.Path, StorageCodec.EncodeStat(change.Stat), change.Acl is null ? DBNull.Value : StorageCodec.EncodeAcl(change.Acl));
                }
            }
        }
    }

    public void Dispose() => _gate.Dispose();
}
