using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// FaaSKeeper's distributor function: consumes committed transactions in zxid order, applies them to
/// user storage, fires the watches they trigger (fetch-and-clear, so one-shot), then replies to the
/// writing gateway. Watch events are delivered inside the same atomic step as the change, so no read
/// can observe a change before its events are queued (the watch-event-before-data guarantee).
/// </summary>
public sealed class DistributorFunction
{
    private readonly IUserStorage _user;
    private readonly ISystemStorage _system;
    private readonly IWatchStorage _watches;
    private readonly INotificationSink _sink;
    private readonly IGatewayChannel _replies;

    public DistributorFunction(IUserStorage user, ISystemStorage system, IWatchStorage watches, INotificationSink sink, IGatewayChannel replies)
    {
        _user = user;
        _system = system;
        _watches = watches;
        _sink = sink;
        _replies = replies;
    }

    public async Task RunAsync(IOrderedQueue<Txn> queue, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await queue.ReceiveBatchAsync(256, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return;
            }
            await HandleBatchAsync(batch.Messages, cancellationToken).ConfigureAwait(false);
            await queue.AcknowledgeAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task HandleBatchAsync(IReadOnlyList<Txn> batch, CancellationToken cancellationToken)
    {
        await _user.ApplyAsync(batch, FireWatches, cancellationToken).ConfigureAwait(false);
        long last = 0;
        foreach (var txn in batch)
        {
            if (txn.ChangesState)
            {
                last = txn.Zxid;
            }
        }
        if (last != 0)
        {
            await _system.PopPendingAsync(last, cancellationToken).ConfigureAwait(false);
        }
        foreach (var txn in batch)
        {
            if (txn.ReplyTo is { } address)
            {
                _replies.SendReply(address, txn.Result);
            }
            if (txn.ClosedSessionId != 0)
            {
                _sink.SessionClosed(txn.ClosedSessionId);
            }
        }
    }

    /// <summary>
    /// ZooKeeper's triggers (DataTree): one event per watcher per path per trigger, whether it holds
    /// one-shot, persistent or (on an ancestor) recursive watches there.
    /// </summary>
    private void FireWatches(Txn txn)
    {
        foreach (var trigger in txn.Triggers)
        {
            foreach (long watcher in _watches.FetchAndClear(trigger.Path, trigger.Type))
            {
                _sink.Deliver(watcher, new WatchEvent(trigger.Type, trigger.Path, txn.Zxid, trigger.Acl));
            }
        }
    }
}
