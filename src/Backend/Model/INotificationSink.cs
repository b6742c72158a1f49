using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>
/// A watch notification for one watcher: WatcherEvent{type, state=SyncConnected, path} with the
/// triggering zxid (-1 when synthesized). <see cref="Acl"/> is the ACL of the node the event is about:
/// the watch is consumed either way, but the event reaches the watcher only if its connection holds
/// READ there (ServerCnxn.process, CVE-2024-23944). Null (synthesized SetWatches events): no check.
/// </summary>
public readonly record struct WatchEvent(EventType Type, string Path, long Zxid, IReadOnlyList<Acl>? Acl = null);

/// <summary>Where the backend delivers watch events (the gateway's inbox).</summary>
public interface INotificationSink
{
    /// <summary>
    /// Delivers an event to a watcher. Called in zxid order, before the reply of the write that
    /// caused it completes; must not block.
    /// </summary>
    void Deliver(long watcher, WatchEvent watchEvent);

    /// <summary>The session has ended (expired or closed); its connection should be closed.</summary>
    void SessionClosed(long sessionId);

    /// <summary>
    /// The oldest write a session's client submitted that is not answered yet took its place in the
    /// total order at <paramref name="zxid"/>. Called in zxid order, before the events of any later
    /// transaction are delivered and before the write's task completes, so that a connection can
    /// send the reply to write N before the events of write N+1 (ZooKeeper's order for pipelined writes).
    /// </summary>
    void WriteOrdered(long sessionId, long zxid)
    {
    }
}
