namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A gateway's recent first-time interest registrations (AWS provider set): for each, the interest
/// generation it got and the applied zxid at that moment. A distributor batch that read an older
/// generation before its first interest lookup (it planned before the registration) and whose writes
/// were not yet all applied then (they are above the applied zxid) may not name this gateway in its
/// stamps; it sends a Mark at its highest zxid instead, and a read of one of its nodes waits for that
/// (docs/serverless.md, "late registration").
/// <para>
/// Only the batch in flight at a registration can be late for it (the next one plans after it), so a
/// registration is forgotten once the inbox has handled anything above its applied zxid (the late
/// batch's message, Mark last, comes first), or after <see cref="Window"/> (an inbox that far behind
/// is not waited for).
/// </para>
/// </summary>
public sealed class InterestRegistrations
{
    /// <summary>The epoch ledger's window: past it nothing is waited for.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly List<(long Generation, long AppliedZxid, long AtMs)> _recent = [];
    private int _count;

    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>A registration that wrote a new watches-table item got <paramref name="generation"/> when <paramref name="appliedZxid"/> was applied.</summary>
    public void Add(long generation, long appliedZxid)
    {
        lock (_lock)
        {
            _recent.Add((generation, appliedZxid, Environment.TickCount64));
            Volatile.Write(ref _count, _recent.Count);
        }
    }

    /// <summary>
    /// The zxid the inbox must reach before answering a read of a node written by a batch that read
    /// <paramref name="stampGeneration"/> and whose highest zxid is <paramref name="batchZxid"/>: that
    /// zxid if the batch planned before one of these registrations (older generation) and was applied
    /// after it (above its applied zxid), else 0.
    /// </summary>
    public long Needed(long stampGeneration, long batchZxid)
    {
        long cutoff = Environment.TickCount64 - (long)Window.TotalMilliseconds;
        lock (_lock)
        {
            _recent.RemoveAll(r => r.AtMs < cutoff);
            Volatile.Write(ref _count, _recent.Count);
            foreach (var (generation, appliedZxid, _) in _recent)
            {
                if (stampGeneration < generation && batchZxid > appliedZxid)
                {
                    return batchZxid;
                }
            }
        }
        return 0;
    }

    /// <summary>The inbox has handled a whole message reaching <paramref name="handledZxid"/>: the registrations below it are settled.</summary>
    public void Settle(long handledZxid)
    {
        if (IsEmpty)
        {
            return;
        }
        lock (_lock)
        {
            _recent.RemoveAll(r => r.AppliedZxid < handledZxid);
            Volatile.Write(ref _count, _recent.Count);
        }
    }
}
