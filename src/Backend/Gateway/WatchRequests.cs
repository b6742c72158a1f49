using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The watch requests that are not a read: SetWatches on reconnect, addWatch, checkWatches,
/// removeWatches, and a closed connection's cleanup. Registrations that depend on the node's state go
/// through <see cref="ReadPath.WatchedReadAsync{T}"/>, so they see every transaction applied after
/// the state they observed.
/// </summary>
internal sealed class WatchRequests(ReadPath reads, IWatchStorage watches, INotificationSink sink)
{
    public async ValueTask SetWatchesAsync(long watcher, long relativeZxid, IReadOnlyList<string> dataWatches, IReadOnlyList<string> existWatches, IReadOnlyList<string> childWatches, IReadOnlyList<string>? persistentWatches, IReadOnlyList<string>? persistentRecursiveWatches, CancellationToken cancellationToken)
    {
        // Persistent watches are registered again, nothing is synthesized for them (DataTree.setWatches).
        foreach (string path in persistentWatches ?? [])
        {
            await AddWatchAsync(path, AddWatchMode.Persistent, watcher, cancellationToken).ConfigureAwait(false);
        }
        foreach (string path in persistentRecursiveWatches ?? [])
        {
            await AddWatchAsync(path, AddWatchMode.PersistentRecursive, watcher, cancellationToken).ConfigureAwait(false);
        }
        // DataTree.setWatches: fire what changed after relativeZxid now (zxid -1), register the rest.
        foreach (string path in dataWatches)
        {
            await ReplayAsync(watcher, path, WatchKind.Data, node =>
                node is null ? EventType.NodeDeleted : node.Stat.Mzxid > relativeZxid ? EventType.NodeDataChanged : null, cancellationToken).ConfigureAwait(false);
        }
        foreach (string path in existWatches)
        {
            await ReplayAsync(watcher, path, WatchKind.Exist, node =>
                node is not null ? EventType.NodeCreated : null, cancellationToken).ConfigureAwait(false);
        }
        foreach (string path in childWatches)
        {
            await ReplayAsync(watcher, path, WatchKind.Child, node =>
                node is null ? EventType.NodeDeleted : node.Stat.Pzxid > relativeZxid ? EventType.NodeChildrenChanged : null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One watch of a SetWatches: the event it missed (delivered now), or a fresh registration.</summary>
    private ValueTask<bool> ReplayAsync(long watcher, string path, WatchKind kind, Func<UserNode?, EventType?> missed, CancellationToken cancellationToken) =>
        reads.WatchedReadAsync(path, watcher, kind, (node, _) =>
        {
            if (missed(node) is { } type)
            {
                sink.Deliver(watcher, new WatchEvent(type, path, -1));
            }
            else
            {
                watches.Register(ReadPath.WatchPath(path, node), kind, watcher, kind == WatchKind.Child ? node?.Stat.Pzxid ?? 0 : node?.Stat.Mzxid ?? 0);
            }
            return true;
        }, "setWatches", cancellationToken);

    public ValueTask<long> AddWatchAsync(string path, AddWatchMode mode, long watcher, CancellationToken cancellationToken)
    {
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        // Registered inside a read, so the watch sees every transaction applied after its reply's zxid.
        return reads.WatchedReadAsync(path, watcher, kind, (node, zxid) =>
        {
            long observed = node is null ? 0 : Math.Max(node.Stat.Mzxid, node.Stat.Pzxid);
            watches.Register(ReadPath.WatchPath(path, node), kind, watcher, observed);
            return zxid;
        }, "addWatch", cancellationToken);
    }

    public bool Check(string path, WatcherType type) => watches.Contains(path, type);

    public bool Remove(string path, WatcherType type, long watcher) => watches.Remove(path, type, watcher);

    public void RemoveWatcher(long watcher) => watches.RemoveWatcher(watcher);

    public (int Watches, int Paths) Counts() => watches.Counts();

    public IReadOnlyDictionary<long, IReadOnlyList<string>> PathsByWatcher() => watches.PathsByWatcher();
}
