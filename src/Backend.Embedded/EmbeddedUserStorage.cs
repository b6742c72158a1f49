using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// User storage for the embedded deployment: the tree in memory for direct reads. A reader-writer lock
/// makes each read atomic with respect to each applied transaction and its watch firing.
/// <para>
/// Durability is the writer's: its fsync'd log record carries the transactions' changes
/// (<see cref="DurableStore"/>), so applying a transaction here only updates memory, and start-up
/// rebuilds the tree from the snapshot and the log.
/// </para>
/// </summary>
public sealed partial class EmbeddedUserStorage : IUserStorage, IDisposable
{
    private sealed class Entry(byte[]? data, Stat stat, IReadOnlyList<Acl> acl, SystemNode? statSource)
    {
        /// <summary>Null when the node was created or set with null data (ZooKeeper keeps it null).</summary>
        public byte[]? Data = data;
        public IReadOnlyList<Acl> Acl = acl;

        // The system record whose visible Stat this is, held by the system storage too: one copy of
        // the Stat instead of two, 64 B of a znode (issue 14). A box of its own where there is no
        // such record, or the record says something else (a Stat made elsewhere).
        private object _stat = StatOf(stat, statSource);

        public Stat Stat => _stat is SystemNode node ? NodeKinds.VisibleStat(node) : ((OwnStat)_stat).Value;

        public bool HoldsOwnStat => _stat is OwnStat;

        public void SetStat(in Stat stat, SystemNode? source)
        {
            if (source is null && _stat is OwnStat own)
            {
                own.Value = stat;
                return;
            }
            _stat = StatOf(stat, source);
        }

        private static object StatOf(in Stat stat, SystemNode? source) =>
            source is not null && NodeKinds.VisibleStat(source) == stat ? source : new OwnStat { Value = stat };

        // Made at the first child: most nodes of a large tree are leaves, and an empty set each
        // cost about 70 bytes of a znode's ~1 KB (issue 14).
        private HashSet<string>? _children;

        public IReadOnlyCollection<string> Children => (IReadOnlyCollection<string>?)_children ?? [];

        // What a read hands out, made per read and not kept: a kept view cost 136 B of every znode
        // ever read (+136 MB once all of 1M were read, issue 14), for a short-lived allocation saved.
        // Its Children is the live set.
        public UserNode View(string path) => new(path, Data, Stat, Acl, Children);

        public void AddChild(string name)
        {
            _children ??= new HashSet<string>(StringComparer.Ordinal);
            _children.Add(name);
        }

        public void RemoveChild(string name) => _children?.Remove(name);
    }

    /// <summary>A Stat no system record holds; only its entry refers to it, so it is changed in place.</summary>
    private sealed class OwnStat
    {
        public Stat Value;
    }

    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    // Replaced once, when a lazy recovery's background load finishes (EmbeddedUserStorage.Loading.cs).
    private Dictionary<string, Entry> _nodes = new(StringComparer.Ordinal);
    private long _appliedZxid;
    private long _dataSize;
    /// <summary>Starts from a snapshot's nodes; the log after it is applied with <see cref="ApplyAsync"/>.</summary>
    internal EmbeddedUserStorage(IEnumerable<UserRow> rows)
    {
        foreach (var row in rows)
        {
            _nodes[row.Path] = new Entry(row.Data, row.Stat, row.Acl, row.StatSource);
            _dataSize += row.Path.Length + (row.Data?.Length ?? 0);
        }
        foreach (string path in _nodes.Keys)
        {
            if (ZkPath.Parent(path) is { } parent && _nodes.TryGetValue(parent, out var parentEntry))
            {
                parentEntry.AddChild(ZkPath.Name(path));
            }
        }
        RecountAllQuotas();
        _loaded.SetResult();
    }

    public long AppliedZxid => Volatile.Read(ref _appliedZxid);

    /// <summary>Usage is kept where each change is applied (EmbeddedUserStorage.Quotas.cs).</summary>
    public bool KeepsQuotaUsage => true;

    public int NodeCount
    {
        get
        {
            _gate.EnterReadLock();
            try
            {
                return _base is null ? _nodes.Count : (int)_loadingCount;
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

    public ValueTask<T> ReadAsync<T>(string path, Func<UserNode?, long, T> read, CancellationToken cancellationToken = default) =>
        ReadAsync(path, read, static (node, zxid, read) => read(node, zxid), cancellationToken);

    public ValueTask<T> ReadAsync<TState, T>(string path, TState state, Func<UserNode?, long, TState, T> read, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _base) is not null && WaitsForLoad(path))
        {
            return ReadAfterLoadAsync(path, state, read, cancellationToken);
        }
        _gate.EnterReadLock();
        try
        {
            UserNode? node = _base is not null ? ViewWhileLoading(path) : ViewOf(path);
            return ValueTask.FromResult(read(node, _appliedZxid, state));
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// The node's read view, carrying the tree's own path string rather than the request's: a watch the
    /// read registers keys its tables by it, so a million watches add no copy of their paths (about
    /// 100 B each, issue 14). Under the read (or write) lock.
    /// </summary>
    private UserNode? ViewOf(string path) =>
        _nodes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(path, out var treePath, out var entry) ? entry.View(treePath) : null;

    public ValueTask<int> CountDescendantsAsync(string path, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _base) is null ? CountDescendants(path) : CountDescendantsAfterLoadAsync(path, cancellationToken);

    private ValueTask<int> CountDescendants(string path)
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
        if (Volatile.Read(ref _base) is not null && _tailReplayed && txns.Any(t => t.Changes.Count > 0))
        {
            return ApplyAfterLoadAsync(txns, onApplied, cancellationToken);
        }
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
        if (_base is not null)
        {
            ApplyWhileLoading(change);
            return;
        }
        string? parent = ZkPath.Parent(change.Path);
        if (change.Kind == NodeChangeKind.Delete)
        {
            if (_nodes.Remove(change.Path, out var removed))
            {
                _dataSize -= change.Path.Length + (removed.Data?.Length ?? 0);
            }
            if (parent is not null && _nodes.TryGetValue(parent, out var p))
            {
                p.RemoveChild(ZkPath.Name(change.Path));
            }
            if (removed is not null)
            {
                CountInQuota(change.Path, -(removed.Data?.Length ?? 0), -1);
            }
            return;
        }
        if (_nodes.TryGetValue(change.Path, out var entry))
        {
            if (change.WritesData)
            {
                long bytesDiff = (change.Data?.Length ?? 0) - (entry.Data?.Length ?? 0);
                _dataSize += bytesDiff;
                entry.Data = change.Data;
                CountInQuota(change.Path, bytesDiff, 0);
            }
            entry.SetStat(change.Stat, change.StatSource);
            if (change.Acl is not null)
            {
                entry.Acl = change.Acl;
            }
            return;
        }
        var created = new Entry(change.WritesData ? change.Data : [], change.Stat, change.Acl ?? Acl.OpenAclUnsafe, change.StatSource);
        _nodes[change.Path] = created;
        _dataSize += change.Path.Length + (created.Data?.Length ?? 0);
        if (parent is not null && _nodes.TryGetValue(parent, out var parentEntry))
        {
            parentEntry.AddChild(ZkPath.Name(change.Path));
        }
        TrackQuotaAfterCreate(change.Path, created.Data?.Length ?? 0);
    }

    /// <summary>How many nodes hold a Stat of their own rather than their system record's (tests: the Stat is kept once).</summary>
    internal int OwnStatCopies()
    {
        _gate.EnterReadLock();
        try
        {
            return _nodes.Values.Count(e => e.HoldsOwnStat);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>Whether the node exists now (a snapshot's look-up).</summary>
    internal bool Has(string path)
    {
        _gate.EnterReadLock();
        try
        {
            return _nodes.ContainsKey(path);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// The nodes, for a snapshot: the entries are taken under the lock, their fields read afterwards
    /// while later transactions may change them. That is the fuzziness the log replay repairs
    /// (<see cref="DurableStore"/>): an entry that changes now is written again by a later record.
    /// </summary>
    internal IEnumerable<UserRow> CaptureForSnapshot()
    {
        KeyValuePair<string, Entry>[] entries;
        _gate.EnterReadLock();
        try
        {
            entries = [.. _nodes];
        }
        finally
        {
            _gate.ExitReadLock();
        }
        return entries.Select(e => new UserRow(e.Key, e.Value.Data, e.Value.Stat, e.Value.Acl));
    }

    public void Dispose() => _gate.Dispose();
}
