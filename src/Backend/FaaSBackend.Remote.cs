using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend;

/// <summary>
/// What a gateway needs when the functions run elsewhere (the AWS provider set): storage it reads
/// directly, where it records watch interest, the writer queue it sends to, and its own inbox.
/// </summary>
public sealed record RemoteGatewayProviders(
    ISystemStorage System,
    IUserStorage User,
    IWatchInterest Interest,
    IOrderedQueue<WriteRequest> WriterQueue,
    IOrderedQueue<IReadOnlyList<InboxItem>> Inbox,
    ISessionLeaseStore Leases,
    IAsyncDisposable? Owner = null);

/// <summary>The gateway side of a deployment whose writer and distributor run in other processes.</summary>
public sealed partial class FaaSBackend
{
    private IAsyncDisposable? _remoteOwner;
    private ISessionLeaseStore? _leaseStore;
    private long _lastTriggerZxid;

    /// <summary>
    /// A gateway on remote functions: reads go straight to user storage (so out-of-date watches are
    /// fired before answering), writes go to the writer queue, and replies, watch triggers and session
    /// ends arrive in this gateway's inbox, where they are matched against its own watch registry.
    /// </summary>
    public static FaaSBackend StartRemote(BackendOptions options, INotificationSink sink, RemoteGatewayProviders providers, TimeProvider? time = null)
    {
        options.DirectReads = true;
        var backend = new FaaSBackend(options, providers.System, providers.User, new InMemoryWatchStorage(), providers.Interest, providers.WriterQueue, time ?? TimeProvider.System)
        {
            _sink = sink,
            _remoteOwner = providers.Owner,
            _leaseStore = providers.Leases,
        };
        backend._workers.Add(Task.Run(() => backend.InboxLoopAsync(providers.Inbox, backend._stopping.Token)));
        backend._workers.Add(Task.Run(() => backend.HeartbeatAsync(backend._stopping.Token)));
        return backend;
    }

    private async Task InboxLoopAsync(IOrderedQueue<IReadOnlyList<InboxItem>> inbox, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            QueueBatch<IReadOnlyList<InboxItem>> batch;
            try
            {
                batch = await inbox.ReceiveBatchAsync(10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The queue service is unreachable for a moment: try again shortly, the messages wait.
                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (batch.Count == 0)
            {
                return;
            }
            foreach (var items in batch.Messages)
            {
                HandleInbox(items);
            }
            await inbox.AcknowledgeAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One inbox message, items in zxid order. A trigger at or below the last one handled comes from a
    /// redelivered distributor batch and is skipped; a reply nobody waits for any more is dropped by
    /// <see cref="SendReply"/>.
    /// </summary>
    internal void HandleInbox(IReadOnlyList<InboxItem> items)
    {
        long lastBefore = _lastTriggerZxid;
        foreach (var item in items)
        {
            _user.ObserveZxid(item.Zxid);
            switch (item.Kind)
            {
                case InboxItemKind.Trigger when item.Zxid > lastBefore:
                    foreach (long watcher in _watches.FetchAndClear(item.Trigger.Path, item.Trigger.Type, item.Zxid))
                    {
                        _sink.Deliver(watcher, new WatchEvent(item.Trigger.Type, item.Trigger.Path, item.Zxid, item.Trigger.Acl));
                    }
                    _lastTriggerZxid = Math.Max(_lastTriggerZxid, item.Zxid);
                    break;
                case InboxItemKind.Reply:
                    SendReply(new ReplyAddress(_options.GatewayId, item.RequestId), item.Result!);
                    break;
                case InboxItemKind.SessionClosed:
                    // Closed by this gateway or, for a session it served, by the heartbeat function.
                    _leases.TryRemove(item.SessionId, out _);
                    _sink.SessionClosed(item.SessionId);
                    break;
            }
        }
    }
}
