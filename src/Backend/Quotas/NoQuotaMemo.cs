using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// Saves a long-lived distributor the read of /zookeeper/quota that tells a batch there is no quota:
/// it remembers the zxid through which it found none. A quota appears only by a create under
/// /zookeeper/quota, a state-changing transaction with a zxid of its own, and batches are applied in
/// zxid order, one after the other (one distributor queue; on the gateway write path a writer reserves
/// batch n+1 only after batch n is applied). So when a batch's state-changing transactions follow on
/// from that zxid without a gap, nobody else applied one in between, and no quota can have appeared.
/// A gap (another gateway's batch, a failed write, a new epoch) costs the read again.
/// </summary>
public sealed class NoQuotaMemo
{
    /// <summary>The last zxid through which no quota existed; 0 when not known.</summary>
    private long _through;

    /// <summary>
    /// Whether no quota exists for <paramref name="batch"/>, known without a read. Forgets either way:
    /// only <see cref="Record"/> after the batch is applied remembers again.
    /// </summary>
    public bool Covers(IReadOnlyList<Txn> batch)
    {
        long through = _through;
        _through = 0;
        return through != 0 && Run(batch) is { } run && run.First == through + 1;
    }

    /// <summary>After <paramref name="batch"/> is applied: <paramref name="noQuota"/> when it found no quota and created none.</summary>
    public void Record(IReadOnlyList<Txn> batch, bool noQuota) =>
        _through = noQuota && Run(batch) is { } run ? run.Last : 0;

    /// <summary>The first and last zxid of the batch's state-changing transactions when they leave no gap; null otherwise, or when there are none.</summary>
    private static (long First, long Last)? Run(IReadOnlyList<Txn> batch)
    {
        long first = 0;
        long last = 0;
        foreach (var txn in batch)
        {
            if (!txn.ChangesState)
            {
                continue;
            }
            if (first == 0)
            {
                first = txn.Zxid;
            }
            else if (txn.Zxid != last + 1)
            {
                return null;
            }
            last = txn.Zxid;
        }
        return first > 0 ? (first, last) : null;
    }
}
