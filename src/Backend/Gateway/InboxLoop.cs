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
            if (!await AcknowledgeAsync(batch, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>How long an acknowledgement is retried before the batch is left to come again.</summary>
    internal static readonly TimeSpan AcknowledgePatience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Deletes a handled batch, retrying while the queue service cannot be reached: an exception here
    /// used to end the loop, and with it every reply and trigger of this gateway for good (found by the
    /// backend-partition nemesis, docs/reliability.md). Past <see cref="AcknowledgePatience"/> the batch
    /// is left to come again after its visibility timeout, which <see cref="Handle"/> takes as it is
    /// (a redelivered trigger is skipped, a reply nobody waits for is dropped). False when stopping.
    /// </summary>
    private async Task<bool> AcknowledgeAsync(QueueBatch<IReadOnlyList<InboxItem>> batch, CancellationToken cancellationToken)
    {
        var patience = System.Diagnostics.Stopwatch.StartNew();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await inbox.AcknowledgeAsync(batch, CancellationToken.None).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                bool giveUp = patience.Elapsed >= AcknowledgePatience;
                BackendLog.InboxAcknowledgeFailed(logger, e, options.GatewayId, giveUp);
                if (giveUp)
                {
                    return true;
                }
            }
            try
            {
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
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
