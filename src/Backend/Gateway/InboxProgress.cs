using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// How far this gateway's inbox has got (the zxid of the last watch trigger it handled), and the
/// direct reads that wait for it: watch event before data when reads go straight to cloud storage.
/// The inbox raises the mark (<see cref="Raise"/>, <see cref="MessageHandled"/>); a read whose node
/// names triggers above it waits, within <see cref="BackendOptions.EpochWaitMs"/>.
/// <para>
/// <c>handled</c> is where the inbox starts: triggers up to what is applied now were meant for
/// watches set before this gateway started (the same gateway id restarted, or an inbox left by a
/// crash); every watch set from now on reads a state that reflects them, so they count as handled.
/// <c>lastRoutedTrigger</c>: see <see cref="RemoteGatewayProviders.LastRoutedTrigger"/>.
/// </para>
/// </summary>
internal sealed class InboxProgress(string gatewayId, int epochWaitMs, IWatchStorage watches, InterestRegistrations? registrations, Func<CancellationToken, ValueTask<long>>? lastRoutedTrigger, long handled, ILogger logger)
{
    private long _handled = handled;

    // Reads waiting for the inbox to handle the triggers an epoch stamp names (see AwaitEpochAsync).
    private readonly Lock _lock = new();
    private readonly List<(long Zxid, TaskCompletionSource Handled)> _waiters = [];
    private long _waits;
    private long _waitTimeouts;
    private long _waitTicks;

    /// <summary>The zxid of the last trigger the inbox handled (or that a Mark said it had).</summary>
    public long Handled => Volatile.Read(ref _handled);

    /// <summary>The inbox handled a trigger (or a Mark) at <paramref name="zxid"/>. Only the inbox loop calls it.</summary>
    public void Raise(long zxid) => Volatile.Write(ref _handled, Math.Max(_handled, zxid));

    /// <summary>
    /// The inbox handled a whole message that began at <paramref name="handledBefore"/> (a late batch's
    /// Mark is its last item): settles the registrations and releases the reads it satisfies.
    /// </summary>
    public void MessageHandled(long handledBefore)
    {
        long handled = Handled;
        if (handled <= handledBefore)
        {
            return;
        }
        registrations?.Settle(handled);
        lock (_lock)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Zxid <= handled)
                {
                    _waiters[i].Handled.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
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
    public ValueTask AwaitEpochAsync(EpochStamp? epoch, CancellationToken cancellationToken)
    {
        long needed = epoch?.For(gatewayId) ?? 0;
        if (registrations is { IsEmpty: false } recent && epoch?.Generation is { } generation)
        {
            needed = Math.Max(needed, recent.Needed(generation, epoch.BatchZxid));
        }
        return AwaitHandledAsync(needed, cancellationToken);
    }

    /// <summary>
    /// Watch event before data for a read that finds no node: a deletion leaves no node to carry a
    /// stamp (after <c>set /a; delete /b</c>, a client watching /a could see /b gone before /a's
    /// event). The distributor records the triggers it plans for each gateway in a ledger before it
    /// writes or deletes anything, so a gateway holding watches reads its own entry (one consistent
    /// read, whatever the entry's age) and waits, as for a stamp, until its inbox has handled it. No
    /// call when this gateway holds no watch.
    /// </summary>
    public async ValueTask AwaitRoutedAsync(CancellationToken cancellationToken)
    {
        if (lastRoutedTrigger is null || watches.IsEmpty)
        {
            return;
        }
        long routed = await lastRoutedTrigger(cancellationToken).ConfigureAwait(false);
        await AwaitHandledAsync(routed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits, within the bound, until the inbox has handled every trigger up to <paramref name="needed"/> (counted in mntr).</summary>
    private async ValueTask AwaitHandledAsync(long needed, CancellationToken cancellationToken)
    {
        if (needed <= Handled || watches.IsEmpty)
        {
            return;
        }
        var waiter = (Zxid: needed, Handled: new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            // Read again under the lock: the inbox raises the mark, then releases under it.
            if (needed <= Handled)
            {
                return;
            }
            _waiters.Add(waiter);
        }
        Interlocked.Increment(ref _waits);
        long started = Stopwatch.GetTimestamp();
        try
        {
            await waiter.Handled.Task.WaitAsync(TimeSpan.FromMilliseconds(epochWaitMs), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Interlocked.Increment(ref _waitTimeouts);
            BackendLog.EpochWaitTimedOut(logger, gatewayId, epochWaitMs, needed, Handled);
        }
        finally
        {
            Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - started);
            if (!waiter.Handled.Task.IsCompleted)
            {
                // Timed out or cancelled: nobody waits on it any more.
                lock (_lock)
                {
                    _waiters.Remove(waiter);
                }
            }
        }
    }

    /// <summary>
    /// mntr keys of the epoch waits: reads that waited for the inbox, those answered at the bound, and
    /// the time spent (all 0 without an inbox: embedded reads never wait).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> MonitorValues(InboxProgress? inbox)
    {
        static string Value(long v) => v.ToString(CultureInfo.InvariantCulture);
        yield return new("epoch_read_waits", Value(inbox is null ? 0 : Interlocked.Read(ref inbox._waits)));
        yield return new("epoch_read_wait_timeouts", Value(inbox is null ? 0 : Interlocked.Read(ref inbox._waitTimeouts)));
        yield return new("epoch_read_wait_ms", Value(inbox is null ? 0 : (long)Stopwatch.GetElapsedTime(0, Interlocked.Read(ref inbox._waitTicks)).TotalMilliseconds));
        yield return new("epoch_stamps_truncated", Value(EpochStamp.TruncatedCount));
    }
}
