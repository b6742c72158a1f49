using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The gateway's inbox when the functions run elsewhere: replies to its writes, the watch triggers
/// routed to it (matched against its own watch registry), session ends and Marks, one message per
/// distributor batch, each handled in zxid order before it is acknowledged. It polls only while
/// something can arrive (<see cref="InboxDemand"/>): an idle gateway makes no requests.
/// </summary>
internal sealed class InboxLoop(
    BackendOptions options,
    IOrderedQueue<IReadOnlyList<InboxItem>> inbox,
    IUserStorage user,
    IWatchStorage watches,
    INotificationSink sink,
    InflightWrites writes,
    SessionLeases sessions,
    InboxProgress progress,
    InboxDemand demand,
    ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            QueueBatch<IReadOnlyList<InboxItem>> batch;
            try
            {
                await demand.WaitUntilExpectedAsync(cancellationToken).ConfigureAwait(false);
                batch = await inbox.ReceiveBatchAsync(10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The queue service is unreachable for a moment: try again shortly, the messages wait.
                BackendLog.InboxReceiveFailed(logger, e, options.GatewayId);
                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (batch.Count == 0)
            {
                return;
            }
            await Failpoints.HitAsync(Failpoints.GatewayInbox, options.GatewayId, cancellationToken).ConfigureAwait(false);
            foreach (var items in batch.Messages)
            {
                Handle(items);
            }
            await inbox.AcknowledgeAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One inbox message, items in zxid order. A trigger at or below the last one handled comes from a
    /// redelivered distributor batch and is skipped; a reply nobody waits for any more is dropped by
    /// <see cref="InflightWrites.SendReply"/>.
    /// </summary>
    internal void Handle(IReadOnlyList<InboxItem> items)
    {
        long handledBefore = progress.Handled;
        foreach (var item in items)
        {
            user.ObserveZxid(item.Zxid);
            switch (item.Kind)
            {
                case InboxItemKind.Trigger when item.Zxid > handledBefore:
                    foreach (long watcher in watches.FetchAndClear(item.Trigger.Path, item.Trigger.Type, item.Zxid))
                    {
                        sink.Deliver(watcher, new WatchEvent(item.Trigger.Type, item.Trigger.Path, item.Zxid, item.Trigger.Acl));
                    }
                    progress.Raise(item.Zxid);
                    break;
                case InboxItemKind.Reply:
                    writes.SendReply(new ReplyAddress(options.GatewayId, item.RequestId), item.Result!);
                    break;
                case InboxItemKind.SessionClosed:
                    // Closed by this gateway or, for a session it served, by the heartbeat function.
                    sessions.Forget(item.SessionId);
                    sink.SessionClosed(item.SessionId);
                    break;
                case InboxItemKind.Mark:
                    // Every trigger for this gateway up to here was sent before it (this message's
                    // included): as if the last of them had been handled.
                    progress.Raise(item.Zxid);
                    break;
            }
        }
        progress.MessageHandled(handledBefore);
    }
}
