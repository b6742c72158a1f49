using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// DataTree.updateQuotaStat for a user storage that does not keep quota usage itself (the serverless
/// ones): the distributor hands each batch through here before applying it, and the usage changes of
/// its transactions are folded into one Put per affected zookeeper_stats node, added to the batch's
/// last transaction. A batch under no quota costs one read (is /zookeeper/quota childless?), none when
/// the distributor knows there is none (<see cref="NoQuotaMemo"/>); the
/// quota each path counts against is found by walking /zookeeper/quota along the path, so a write
/// outside every quota's subtree costs no more.
/// <para>
/// Replays: the stats Put carries the zxid it counts through (<see cref="NodeChange.UsageThrough"/>),
/// and a transaction at or below the stats node's is not counted again, however a redelivered queue
/// groups the batch. Deltas come from the transactions (the writer's Stat, and
/// <see cref="NodeChange.PreviousDataLength"/>), never from nodes a replay may have written already.
/// </para>
/// <para>
/// A transaction that creates a zookeeper_stats node makes the usage be counted afresh from the subtree
/// (DataTree.updateQuotaForPath): it is applied in a segment of its own, after the transactions before
/// it, so that the walk sees the tree as it was just before it.
/// </para>
/// </summary>
/// <param name="user">The serverless user storage the batch is applied to.</param>
/// <param name="knownNoQuota">The caller knows that no quota exists before this batch (<see cref="NoQuotaMemo"/>): no read of /zookeeper/quota.</param>
public sealed class QuotaUsageTally(IUserStorage user, bool knownNoQuota = false)
{
    private readonly Dictionary<string, IReadOnlyCollection<string>?> _quotaChildren = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Usage?> _usage = new(StringComparer.Ordinal);

    private sealed class Usage(StatsTrack track, Stat stat, long through)
    {
        public StatsTrack Track = track;
        public Stat Stat = stat;
        public long Through = through;
        public bool Dirty;
    }

    /// <summary>The batch found no quota and changes nothing under /zookeeper/quota (for <see cref="NoQuotaMemo.Record"/>).</summary>
    public bool FoundNoQuota { get; private set; }

    /// <summary>
    /// The next segment of <paramref name="txns"/> from <paramref name="start"/> to apply, with its
    /// stats Puts added; apply it before asking for the next one.
    /// </summary>
    public async ValueTask<IReadOnlyList<Txn>> NextSegmentAsync(IReadOnlyList<Txn> txns, int start, CancellationToken ct)
    {
        if (start == 0)
        {
            _quotaChildren.Clear();
            _usage.Clear();
            if (!await AnyQuotaInvolvedAsync(txns, ct).ConfigureAwait(false))
            {
                return txns;
            }
        }
        else
        {
            // A later segment starts from what storage holds after the one before: nothing carried over.
            _quotaChildren.Clear();
            _usage.Clear();
        }
        var segment = new List<Txn>();
        for (int i = start; i < txns.Count; i++)
        {
            var txn = txns[i];
            if (CreatesStatsNode(txn) && segment.Count > 0)
            {
                break;
            }
            segment.Add(txn);
            await CountAsync(txn, ct).ConfigureAwait(false);
            if (CreatesStatsNode(txn))
            {
                break;
            }
        }
        return WithStatsPuts(segment);
    }

    private async ValueTask<bool> AnyQuotaInvolvedAsync(IReadOnlyList<Txn> txns, CancellationToken ct)
    {
        if (!txns.Any(t => t.ChangesState))
        {
            return false;
        }
        if (txns.Any(t => t.Changes.Any(c => c.Path.StartsWith(ZkPath.Quota + "/", StringComparison.Ordinal))))
        {
            return true;
        }
        FoundNoQuota = knownNoQuota || await ChildrenAsync(ZkPath.Quota, ct).ConfigureAwait(false) is not { Count: > 0 };
        return !FoundNoQuota;
    }

    private static bool CreatesStatsNode(Txn txn) =>
        txn.Changes.Any(c => c.Kind == NodeChangeKind.Put && c.WritesData && c.Stat.Czxid == txn.Zxid
            && QuotaPaths.QuotaPathOf(c.Path, QuotaPaths.StatNode) is not null);

    private async ValueTask CountAsync(Txn txn, CancellationToken ct)
    {
        var createdHere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in txn.Changes)
        {
            bool created = change.Kind == NodeChangeKind.Put && change.WritesData && change.Stat.Czxid == txn.Zxid && createdHere.Add(change.Path);
            await TrackQuotaTreeAsync(change, created, txn.Zxid, ct).ConfigureAwait(false);
            var (count, bytes) = change switch
            {
                { Kind: NodeChangeKind.Delete } => (-1, -(long)change.Stat.DataLength),
                { WritesData: true } when created => (1, change.Stat.DataLength),
                { WritesData: true, PreviousDataLength: >= 0 } => (0, (long)change.Stat.DataLength - change.PreviousDataLength),
                _ => (0, 0L),
            };
            if ((count != 0 || bytes != 0) && await QuotaOfAsync(change.Path, ct).ConfigureAwait(false) is { } quota
                && await UsageOfAsync(quota, ct).ConfigureAwait(false) is { } usage && txn.Zxid > usage.Through)
            {
                usage.Track.Count += count;
                usage.Track.Bytes += bytes;
                usage.Dirty = true;
            }
        }
    }

    /// <summary>The quota subtree's own changes: which paths have limits, and what a client wrote to a stats node.</summary>
    private async ValueTask TrackQuotaTreeAsync(NodeChange change, bool created, long zxid, CancellationToken ct)
    {
        if (!change.Path.StartsWith(ZkPath.Quota + "/", StringComparison.Ordinal) || ZkPath.Parent(change.Path) is not { } parent)
        {
            return;
        }
        if (change.Kind == NodeChangeKind.Delete || created)
        {
            // Sets, so that a node a replay finds already there (or gone) changes nothing.
            var names = new SortedSet<string>(await ChildrenAsync(parent, ct).ConfigureAwait(false) ?? [], StringComparer.Ordinal);
            if (change.Kind == NodeChangeKind.Delete)
            {
                names.Remove(ZkPath.Name(change.Path));
                _quotaChildren.Remove(change.Path);
            }
            else
            {
                names.Add(ZkPath.Name(change.Path));
                _quotaChildren[change.Path] = [];
            }
            _quotaChildren[parent] = names;
        }
        if (QuotaPaths.QuotaPathOf(change.Path, QuotaPaths.StatNode) is not { } quota)
        {
            return;
        }
        if (change.Kind == NodeChangeKind.Delete)
        {
            _usage[quota] = null;
        }
        else if (change.WritesData && await ReadUsageAsync(quota, ct).ConfigureAwait(false) is { } stored && stored.Through >= zxid)
        {
            // Written by this transaction's segment before a crash: its usage stands, written again
            // over the client's data that the replay writes (a store without write stamps).
            stored.Dirty = true;
            _usage[quota] = stored;
        }
        else if (created)
        {
            // updateQuotaForPath: the subtree as it is before this transaction (its own segment).
            var (count, bytes) = await CountSubtreeAsync(quota, ct).ConfigureAwait(false);
            _usage[quota] = new Usage(new StatsTrack { Count = count, Bytes = bytes }, change.Stat, zxid - 1) { Dirty = true };
        }
        else if (change.WritesData)
        {
            // A client's setData replaces the usage, as in ZooKeeper; later changes add to it.
            _usage[quota] = StatsTrack.Parse(change.Data) is { } track ? new Usage(track, change.Stat, zxid - 1) { Dirty = true } : null;
        }
    }

    private ValueTask<string?> QuotaOfAsync(string path, CancellationToken ct) => QuotaLookup.FindAsync(path, node => ChildrenAsync(node, ct));

    private async ValueTask<IReadOnlyCollection<string>?> ChildrenAsync(string path, CancellationToken ct)
    {
        if (!_quotaChildren.TryGetValue(path, out var children))
        {
            children = await user.ReadAsync(path, (node, _) => node?.Children, ct).ConfigureAwait(false);
            _quotaChildren[path] = children;
        }
        return children;
    }

    private async ValueTask<Usage?> UsageOfAsync(string quota, CancellationToken ct)
    {
        if (!_usage.TryGetValue(quota, out var usage))
        {
            // A stats node missing or not in StatsTrack's format: ZooKeeper logs an error; the usage stays.
            usage = await ReadUsageAsync(quota, ct).ConfigureAwait(false);
            _usage[quota] = usage;
        }
        return usage;
    }

    private ValueTask<Usage?> ReadUsageAsync(string quota, CancellationToken ct) =>
        user.ReadAsync(QuotaPaths.StatPath(quota), (node, _) =>
            node is not null && StatsTrack.Parse(node.Data) is { } track ? new Usage(track, node.Stat, node.UsageThrough) : null, ct);

    /// <summary>The count of nodes and bytes of data of a subtree, the node itself included (0, 0 if it does not exist).</summary>
    private async ValueTask<(long Count, long Bytes)> CountSubtreeAsync(string path, CancellationToken ct)
    {
        long count = 0;
        long bytes = 0;
        var pending = new Stack<string>();
        pending.Push(path);
        while (pending.TryPop(out string? next))
        {
            var node = await user.ReadAsync(next, (n, _) => n, ct).ConfigureAwait(false);
            if (node is null)
            {
                continue;
            }
            count++;
            bytes += node.Stat.DataLength;
            foreach (string child in node.Children)
            {
                pending.Push(ZkPath.Join(next, child));
            }
        }
        return (count, bytes);
    }

    /// <summary>The segment with one Put per changed stats node added to its last state-changing transaction.</summary>
    private List<Txn> WithStatsPuts(List<Txn> segment)
    {
        int last = segment.FindLastIndex(t => t.ChangesState);
        if (last < 0)
        {
            return segment;
        }
        var puts = _usage.Where(u => u.Value is { Dirty: true }).Select(u =>
        {
            byte[] data = u.Value!.Track.ToBytes();
            // Only the data changes (as DataTree's setData of the stats node without a zxid): no mzxid, no version.
            return NodeChange.PutWithData(QuotaPaths.StatPath(u.Key), u.Value.Stat with { DataLength = data.Length }, data)
                with { UsageThrough = Math.Max(segment[last].Zxid, u.Value.Through) };
        }).ToList();
        if (puts.Count > 0)
        {
            segment[last] = segment[last] with { Changes = [.. segment[last].Changes, .. puts] };
        }
        return segment;
    }
}
