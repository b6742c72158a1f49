using System.Collections;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// A lazy recovery (docs/storage.md). Until the background load swaps the whole tree in, the tree is
/// the snapshot (found through its path index, <see cref="IndexedSnapshot"/>) overlaid by the log tail
/// replayed at start-up: <see cref="_nodes"/> holds the nodes the tail wrote, <see cref="_tombstones"/>
/// the paths it deleted. Reads of data and Stat are answered from that at once. A node's children and
/// anything under /zookeeper/quota (usage is recounted from the whole tree) wait for the load, and so
/// do transactions that change nodes (none arrive before it: the system storage holds every node
/// write back until the load is done).
/// </summary>
public sealed partial class EmbeddedUserStorage
{
    private IndexedSnapshot? _base;
    private HashSet<string>? _tombstones;
    private long _loadingCount;
    private bool _tailReplayed;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Set once the whole tree is built (before the swap, which needs the write lock): children
    // asked for under the read lock come from it.
    private readonly ManualResetEventSlim _built = new(false);
    private Dictionary<string, Entry>? _builtNodes;

    /// <summary>Starts from a snapshot read through its index; the log after it is applied with <see cref="ApplyAsync"/>, then <see cref="TailReplayed"/>.</summary>
    internal EmbeddedUserStorage(IndexedSnapshot snapshot)
    {
        _base = snapshot;
        _tombstones = new HashSet<string>(StringComparer.Ordinal);
        _loadingCount = snapshot.UserNodes;
        _dataSize = snapshot.UserBytes;
    }

    /// <summary>Completes when the whole tree is in memory (at once without a lazy recovery).</summary>
    internal Task Loaded => _loaded.Task;

    /// <summary>The start-up replay of the log tail is done: from now on a change waits for the load.</summary>
    internal void TailReplayed() => _tailReplayed = true;

    /// <summary>
    /// Swaps in the tree <paramref name="built"/> holds (the snapshot's rows with the log tail applied,
    /// children linked and quotas counted by its constructor and ApplyAsync).
    /// </summary>
    internal void FinishLoad(EmbeddedUserStorage built)
    {
        _builtNodes = built._nodes;
        _built.Set();
        _gate.EnterWriteLock();
        try
        {
            _nodes = built._nodes;
            _dataSize = built._dataSize;
            _tombstones = null;
            Volatile.Write(ref _base, null);
        }
        finally
        {
            _gate.ExitWriteLock();
        }
        built._gate.Dispose();
        _loaded.TrySetResult();
    }

    /// <summary>The load failed: what waits for it fails too; reads of data go on from the snapshot.</summary>
    internal void FailLoad(Exception e)
    {
        _loaded.TrySetException(e);
        _built.Set();
    }

    private static bool WaitsForLoad(string path) => path == ZkPath.Quota || path.StartsWith(ZkPath.Quota + "/", StringComparison.Ordinal);

    private async ValueTask<T> ReadAfterLoadAsync<TState, T>(string path, TState state, Func<UserNode?, long, TState, T> read, CancellationToken cancellationToken)
    {
        await _loaded.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(path, state, read, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<int> CountDescendantsAfterLoadAsync(string path, CancellationToken cancellationToken)
    {
        await _loaded.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await CountDescendants(path).ConfigureAwait(false);
    }

    private async ValueTask ApplyAfterLoadAsync(IReadOnlyList<Txn> txns, Action<Txn> onApplied, CancellationToken cancellationToken)
    {
        await _loaded.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await ApplyAsync(txns, onApplied, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The node as the snapshot and the tail make it. Under the read (or write) lock.</summary>
    private UserNode? ViewWhileLoading(string path)
    {
        if (_nodes.TryGetValue(path, out var entry))
        {
            return new UserNode(path, entry.Data, entry.Stat, entry.Acl, new ChildrenAfterLoad(this, path));
        }
        if (_tombstones!.Contains(path) || _base!.Find(path)?.User is not { } row)
        {
            return null;
        }
        return new UserNode(path, row.Data, row.Stat, row.Acl, new ChildrenAfterLoad(this, path));
    }

    /// <summary>
    /// One change of the log tail onto the overlay. Children and quotas are the load's (it replays the
    /// tail too). The count is kept without looking the snapshot up (a fuzzy snapshot may hold a node
    /// the tail creates): approximate until the load, exact after it.
    /// </summary>
    private void ApplyWhileLoading(NodeChange change)
    {
        string path = change.Path;
        if (change.Kind == NodeChangeKind.Delete)
        {
            _nodes.Remove(path);
            _tombstones!.Add(path);
            _loadingCount--;
            return;
        }
        if (IsCreated(change.Stat))
        {
            _loadingCount++;
        }
        // A Put that sets data and ACL (every create does) needs nothing of what was there before.
        if (!_nodes.TryGetValue(path, out var entry) && !(change.WritesData && change.Acl is not null)
            && !_tombstones!.Contains(path) && _base!.Find(path)?.User is { } row)
        {
            _nodes[path] = entry = new Entry(row.Data, row.Stat, row.Acl, row.StatSource);
        }
        if (entry is null)
        {
            _nodes[path] = new Entry(change.WritesData ? change.Data : [], change.Stat, change.Acl ?? Acl.OpenAclUnsafe, change.StatSource);
            _tombstones!.Remove(path);
            return;
        }
        if (change.WritesData)
        {
            entry.Data = change.Data;
        }
        entry.SetStat(change.Stat, change.StatSource);
        if (change.Acl is not null)
        {
            entry.Acl = change.Acl;
        }
    }

    /// <summary>A create's Stat: every later change of a node raises one of its versions.</summary>
    private static bool IsCreated(in Stat stat) => stat.Version == 0 && stat.Cversion == 0 && stat.Aversion == 0 && stat.Czxid == stat.Mzxid;

    /// <summary>A node's children while the tree loads: waits, when first asked, until the whole tree is built.</summary>
    private sealed class ChildrenAfterLoad(EmbeddedUserStorage owner, string path) : IReadOnlyCollection<string>
    {
        private IReadOnlyCollection<string>? _children;

        private IReadOnlyCollection<string> Children
        {
            get
            {
                if (_children is null)
                {
                    owner._built.Wait();
                    var nodes = owner._builtNodes ?? throw new InvalidOperationException("The tree could not be loaded", owner._loaded.Task.Exception);
                    _children = nodes.TryGetValue(path, out var entry) ? [.. entry.Children] : [];
                }
                return _children;
            }
        }

        public int Count => Children.Count;

        public IEnumerator<string> GetEnumerator() => Children.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
