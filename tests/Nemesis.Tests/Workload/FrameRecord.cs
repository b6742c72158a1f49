using ZkGateway.Jute.Protocol;

namespace ZkGateway.Nemesis.Workload;

/// <summary>
/// What one connection received, in arrival order: a reply (by xid) or a watch event. The watch
/// check needs the order of events relative to the replies of reads.
/// </summary>
public readonly record struct FrameRecord(int Xid, EventType? Event, string? EventPath);

/// <summary>A read's reply on a connection: its xid, the key, the version it showed, whether it set a watch.</summary>
public readonly record struct ReadRecord(int Xid, string Key, int Version, bool Watched);

/// <summary>Everything the watch check needs about one connection.</summary>
public sealed class ConnectionRecord(int process, long sessionId)
{
    public int Process { get; } = process;

    public long SessionId { get; } = sessionId;

    public List<FrameRecord> Frames { get; } = [];

    public List<ReadRecord> Reads { get; } = [];

    /// <summary>What each xid asked (for the check's explanations).</summary>
    public Dictionary<int, string> Sent { get; } = [];
}
