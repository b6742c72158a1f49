using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The zxid counter and mntr's counts, each read from system storage at most once per
/// <paramref name="maxAge"/> where a read is a billed cloud call (AWS: a second); embedded
/// (<see cref="TimeSpan.Zero"/>) they are in memory and read every time.
/// </summary>
internal sealed class StatisticsCache(ISystemStorage system, IUserStorage user, SessionLeases sessions, InboxProgress? inbox, TimeProvider time, TimeSpan maxAge)
{
    /// <summary>How long a read of the zxid counter or of mntr's counts serves where each read is billed.</summary>
    public static readonly TimeSpan CloudMaxAge = TimeSpan.FromSeconds(1);

    private long _zxidCounter;
    private long _zxidCounterReadAt = long.MinValue / 2;
    private (BackendStatistics Value, long ReadAt)? _statistics;

    /// <summary>
    /// The zxid counter, read at most once per max age (it was one read per ConnectRequest), and never
    /// below what this gateway has seen applied. A cached value may be below a zxid a client saw
    /// through another gateway: the handshake then asks <see cref="ReadLastZxidAsync"/> before refusing it.
    /// </summary>
    public ValueTask<long> GetLastZxidAsync(CancellationToken cancellationToken)
    {
        if (maxAge == TimeSpan.Zero || time.GetElapsedTime(Volatile.Read(ref _zxidCounterReadAt)) > maxAge)
        {
            return ReadLastZxidAsync(cancellationToken);
        }
        return ValueTask.FromResult(Math.Max(Volatile.Read(ref _zxidCounter), user.AppliedZxid));
    }

    /// <summary>Reads the zxid counter now (and refreshes the cached value).</summary>
    public async ValueTask<long> ReadLastZxidAsync(CancellationToken cancellationToken)
    {
        long value = await system.ReadCounterAsync(WriterFunction.ZxidCounter, cancellationToken).ConfigureAwait(false);
        long current;
        while (value > (current = Volatile.Read(ref _zxidCounter)) && Interlocked.CompareExchange(ref _zxidCounter, value, current) != current)
        {
        }
        Volatile.Write(ref _zxidCounterReadAt, time.GetTimestamp());
        return Math.Max(Volatile.Read(ref _zxidCounter), user.AppliedZxid);
    }

    /// <summary>
    /// mntr's counts. Where system storage keeps them (AWS: one item the distributor updates) they are
    /// read from there, at most once per max age; otherwise user storage counts nodes and system
    /// storage ephemerals (embedded: in memory).
    /// </summary>
    public async ValueTask<BackendStatistics> GetAsync(CancellationToken cancellationToken)
    {
        BackendStatistics statistics;
        if (_statistics is { } cached && time.GetElapsedTime(cached.ReadAt) < maxAge)
        {
            statistics = cached.Value;
        }
        else if (await system.ReadTreeStatisticsAsync(cancellationToken).ConfigureAwait(false) is { } tree)
        {
            statistics = new BackendStatistics((int)Math.Min(int.MaxValue, tree.Nodes), tree.ApproximateDataSize, (int)Math.Min(int.MaxValue, tree.Ephemerals), 0);
            // Cached where reading costs a cloud call; embedded counts are exact and free.
            _statistics = (statistics, time.GetTimestamp());
        }
        else
        {
            int ephemerals = await system.CountEphemeralsAsync(cancellationToken).ConfigureAwait(false);
            statistics = new BackendStatistics(user.NodeCount, user.ApproximateDataSize, ephemerals, 0);
        }
        // The cost meter's snapshot last: the counts' own read (if any) is in it.
        return statistics with
        {
            SessionCount = sessions.Count,
            LastSnapshot = system.LastSnapshot,
            MonitorValues = CostMeter.Enabled || inbox is not null ? [.. CostMeter.Enabled ? CostMeter.Shared.MonitorValues() : [], .. InboxProgress.MonitorValues(inbox)] : null,
        };
    }
}
