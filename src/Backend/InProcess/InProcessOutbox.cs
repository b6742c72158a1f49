using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.InProcess;

/// <summary>
/// The embedded outbox: one gateway in the same process. Triggers are fired against its watch
/// registry inside the distributor's apply step (ZooKeeper's DataTree does the same), so the watch
/// event is queued before any read can see the change; replies complete the gateway's waiting writes.
/// <paramref name="flush"/> runs when the distributor flushes, after its apply step (the gateway
/// completes the replies it deferred there).
/// </summary>
public sealed class InProcessOutbox(IWatchStorage watches, INotificationSink sink, IGatewayChannel gateway, Action? flush = null) : IGatewayOutbox
{
    /// <summary>ZooKeeper's triggers (DataTree): one event per watcher per path per trigger, whatever kind of watch it holds.</summary>
    public void Triggers(Txn txn)
    {
        foreach (var trigger in txn.Triggers)
        {
            foreach (long watcher in watches.FetchAndClear(trigger.Path, trigger.Type, txn.Zxid))
            {
                sink.Deliver(watcher, new WatchEvent(trigger.Type, trigger.Path, txn.Zxid, trigger.Acl));
            }
        }
    }

    public void Reply(ReplyAddress address, WriteResult result) => gateway.SendReply(address, result);

    public void SessionClosed(long sessionId, string? gatewayId) => sink.SessionClosed(sessionId);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        flush?.Invoke();
        return ValueTask.CompletedTask;
    }
}
