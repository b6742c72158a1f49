using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Watches;

namespace ZkGateway.Backend;

/// <summary>
/// What a gateway needs when the functions run elsewhere (the AWS provider set): storage it reads
/// directly, where it records watch interest, the writer queue it sends to, and its own inbox.
/// <see cref="LastRoutedTrigger"/>: the zxid of the last watch trigger the distributor has routed (or
/// is about to route) to this gateway, as the distributor records it before writing (AWS: the epoch
/// ledger); a read that finds no node waits for it (see AwaitRoutedAsync).
/// </summary>
public sealed record RemoteGatewayProviders(
    ISystemStorage System,
    IUserStorage User,
    IWatchInterest Interest,
    IOrderedQueue<WriteRequest> WriterQueue,
    IOrderedQueue<IReadOnlyList<InboxItem>> Inbox,
    ISessionLeaseStore Leases,
    IAsyncDisposable? Owner = null,
    Func<CancellationToken, ValueTask<long>>? LastRoutedTrigger = null);

/// <summary>The gateway side of a deployment whose writer and distributor run in other processes.</summary>
public sealed partial class FaaSBackend
{
    private IAsyncDisposable? _remoteOwner;
    private ISessionLeaseStore? _leaseStore;
    private Func<CancellationToken, ValueTask<long>>? _lastRoutedTrigger;
    private InterestRegistrations? _registrations;
    private long _lastTriggerZxid;

    // Reads waiting for the inbox to handle the triggers an epoch stamp names (see AwaitEpochAsync).
    private readonly Lock _epochLock = new();
    private readonly List<(long Zxid, TaskCompletionSource Handled)> _epochWaiters = [];
    private long _epochWaits;
    private long _epochWaitTimeouts;
    private long _epochWaitTicks;

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
            _lastRoutedTrigger = providers.LastRoutedTrigger,
            _registrations = providers.Interest.Registrations,
            // Triggers up to what is applied now were meant for watches set before this gateway
            // started (the same gateway id restarted, or an inbox left by a crash): every watch set
            // from now on reads a state that reflects them. So epoch stamps naming this gateway up to
            // here are satisfied, and such triggers are skipped.
            _lastTriggerZxid = providers.User.AppliedZxid,
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
            await Failpoints.HitAsync(Failpoints.GatewayInbox, _options.GatewayId, cancellationToken).ConfigureAwait(false);
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
                    Volatile.Write(ref _lastTriggerZxid, Math.Max(_lastTriggerZxid, item.Zxid));
                    break;
                case InboxItemKind.Reply:
                    SendReply(new ReplyAddress(_options.GatewayId, item.RequestId), item.Result!);
                    break;
                case InboxItemKind.SessionClosed:
                    // Closed by this gateway or, for a session it served, by the heartbeat function.
                    _leases.TryRemove(item.SessionId, out _);
                    _sink.SessionClosed(item.SessionId);
                    break;
                case InboxItemKind.Mark:
                    // Every trigger for this gateway up to here was sent before it (this message's
                    // included): as if the last of them had been handled.
                    Volatile.Write(ref _lastTriggerZxid, Math.Max(_lastTriggerZxid, item.Zxid));
                    break;
            }
        }
        if (_lastTriggerZxid > lastBefore)
        {
            // The whole message is handled (a late batch's Mark is its last item).
            _registrations?.Settle(_lastTriggerZxid);
            ReleaseEpochWaiters();
        }
    }

    /// <summary>
    /// Watch event before data across paths. The distributor stamps every node it writes with, per
    /// gateway, the last trigger routed to that gateway that may still be in flight
    /// (<see cref="EpochStamp"/>). A read whose node names this gateway with a zxid its inbox has not
    /// handled yet waits for the inbox, so the events of those triggers are queued on their
    /// connections before the read's reply. Free when the stamp is absent or already satisfied; skipped
    /// when this gateway holds no watch at all (a pending trigger could fire nothing). Bounded by
    /// <see cref="BackendOptions.EpochWaitMs"/>: past it the read is answered anyway, counted and logged.
    /// <para>
    /// Also a late registration: this gateway registered its first interest in a path while a batch
    /// was between its plan and its writes, so that batch's stamps may not name it. Such a batch's
    /// nodes carry an older interest generation and a batch zxid above the applied zxid of the
    /// registration; the batch sends this gateway a Mark at that zxid, and the read waits for it. A
    /// node without a generation was written by an earlier version, which sends no Mark: not waited for.
    /// </para>
    /// </summary>
    private ValueTask AwaitEpochAsync(EpochStamp? epoch, CancellationToken cancellationToken)
    {
        long needed = epoch?.For(_options.GatewayId) ?? 0;
        if (_registrations is { IsEmpty: false } registrations && epoch?.Generation is { } generation)
        {
            needed = Math.Max(needed, registrations.Needed(generation, epoch.BatchZxid));
        }
        return AwaitInboxAsync(needed, cancellationToken);
    }

    /// <summary>
    /// Watch event before data for a read that finds no node: a deletion leaves no node to carry a
    /// stamp (after <c>set /a; delete /b</c>, a client watching /a could see /b gone before /a's
    /// event). The distributor records the triggers it plans for each gateway in a ledger before it
    /// writes or deletes anything, so a gateway holding watches reads its own entry (one consistent
    /// read, whatever the entry's age) and waits, as for a stamp, until its inbox has handled it. No
    /// call when this gateway holds no watch.
    /// </summary>
    private async ValueTask AwaitRoutedAsync(CancellationToken cancellationToken)
    {
        if (_lastRoutedTrigger is null || _watches.IsEmpty)
        {
            return;
        }
        long routed = await _lastRoutedTrigger(cancellationToken).ConfigureAwait(false);
        await AwaitInboxAsync(routed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits, within the bound, until the inbox has handled every trigger up to <paramref name="needed"/> (counted in mntr).</summary>
    private async ValueTask AwaitInboxAsync(long needed, CancellationToken cancellationToken)
    {
        if (needed <= Volatile.Read(ref _lastTriggerZxid) || _watches.IsEmpty)
        {
            return;
        }
        var waiter = (Zxid: needed, Handled: new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_epochLock)
        {
            // Read again under the lock: the inbox raises the mark, then releases under it.
            if (needed <= Volatile.Read(ref _lastTriggerZxid))
            {
                return;
            }
            _epochWaiters.Add(waiter);
        }
        Interlocked.Increment(ref _epochWaits);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await waiter.Handled.Task.WaitAsync(TimeSpan.FromMilliseconds(_options.EpochWaitMs), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Interlocked.Increment(ref _epochWaitTimeouts);
            Console.Error.WriteLine($"{DateTime.UtcNow:O} gateway {_options.GatewayId}: a read waited {_options.EpochWaitMs} ms for its inbox to handle trigger zxid 0x{needed:x} (handled: 0x{Volatile.Read(ref _lastTriggerZxid):x}) and is answered without it");
        }
        finally
        {
            Interlocked.Add(ref _epochWaitTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            if (!waiter.Handled.Task.IsCompleted)
            {
                // Timed out or cancelled: nobody waits on it any more.
                lock (_epochLock)
                {
                    _epochWaiters.Remove(waiter);
                }
            }
        }
    }

    private void ReleaseEpochWaiters()
    {
        lock (_epochLock)
        {
            long handled = Volatile.Read(ref _lastTriggerZxid);
            for (int i = _epochWaiters.Count - 1; i >= 0; i--)
            {
                if (_epochWaiters[i].Zxid <= handled)
                {
                    _epochWaiters[i].Handled.TrySetResult();
                    _epochWaiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>mntr keys of the epoch waits: reads that waited for the inbox, those answered at the bound, and the time spent.</summary>
    private IEnumerable<KeyValuePair<string, string>> EpochMonitorValues()
    {
        string Value(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return new("epoch_read_waits", Value(Interlocked.Read(ref _epochWaits)));
        yield return new("epoch_read_wait_timeouts", Value(Interlocked.Read(ref _epochWaitTimeouts)));
        yield return new("epoch_read_wait_ms", Value((long)System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _epochWaitTicks)).TotalMilliseconds));
        yield return new("epoch_stamps_truncated", Value(EpochStamp.TruncatedCount));
    }
}
