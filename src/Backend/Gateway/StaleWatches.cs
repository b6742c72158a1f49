using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// FaaSKeeper's client-side rule for reads straight from cloud storage: before answering, fire the
/// reading connection's watches on the path that the read shows to be out of date, so its watch event
/// is queued before the reply that shows the change. The late trigger from the inbox then finds
/// nothing to do.
/// </summary>
internal sealed class StaleWatches(IWatchStorage watches, IUserStorage user, INotificationSink sink)
{
    /// <summary>
    /// Fires the one-shot watches on <paramref name="path"/> that a direct read shows to be out of date:
    /// a data watch set before the node's last change (NodeDataChanged), or before it was deleted
    /// (NodeDeleted; registered against an existing node, so its zxid is above 0); an exists watch on a
    /// missing node that now exists (NodeCreated); a child watch set before the last change of the
    /// children (NodeChildrenChanged) or before the deletion. Persistent watches are left to the inbox.
    /// </summary>
    public void Fire(string path, UserNode? node)
    {
        if (node is null)
        {
            foreach (var (watcher, _) in watches.TakeStale(path, WatcherType.Data, registeredAt => registeredAt > 0))
            {
                sink.Deliver(watcher, new WatchEvent(EventType.NodeDeleted, path, user.AppliedZxid));
            }
            foreach (var (watcher, _) in watches.TakeStale(path, WatcherType.Children, registeredAt => registeredAt > 0))
            {
                sink.Deliver(watcher, new WatchEvent(EventType.NodeDeleted, path, user.AppliedZxid));
            }
            return;
        }
        foreach (var (watcher, registeredAt) in watches.TakeStale(path, WatcherType.Data, registeredAt => registeredAt < node.Stat.Mzxid))
        {
            var type = registeredAt == 0 ? EventType.NodeCreated : EventType.NodeDataChanged;
            sink.Deliver(watcher, new WatchEvent(type, path, node.Stat.Mzxid, node.Acl));
        }
        foreach (var (watcher, _) in watches.TakeStale(path, WatcherType.Children, registeredAt => registeredAt > 0 && registeredAt < node.Stat.Pzxid))
        {
            sink.Deliver(watcher, new WatchEvent(EventType.NodeChildrenChanged, path, node.Stat.Pzxid, node.Acl));
        }
    }
}
