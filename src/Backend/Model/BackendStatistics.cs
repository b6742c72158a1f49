using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>Backend counters for srvr/mntr.</summary>
/// <remarks><paramref name="MonitorValues"/>: extra mntr keys (without zk_), e.g. the cost meter's counts.</remarks>
public sealed record BackendStatistics(int NodeCount, long ApproximateDataSize, int EphemeralCount, int SessionCount, IReadOnlyList<KeyValuePair<string, string>>? MonitorValues = null)
{
    /// <summary>The store's newest snapshot (the AdminServer's last_snapshot); null where the store takes none.</summary>
    public SnapshotInfo? LastSnapshot { get; init; }
}

/// <summary>
/// A snapshot of the state: it holds every transaction up to <paramref name="Zxid"/>, written at
/// <paramref name="TimestampMs"/> (Unix ms), as ZooKeeper's SnapshotInfo.
/// </summary>
public sealed record SnapshotInfo(long Zxid, long TimestampMs);
