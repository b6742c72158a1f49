using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>Backend counters for srvr/mntr.</summary>
/// <remarks><paramref name="MonitorValues"/>: extra mntr keys (without zk_), e.g. the cost meter's counts.</remarks>
public sealed record BackendStatistics(int NodeCount, long ApproximateDataSize, int EphemeralCount, int SessionCount, IReadOnlyList<KeyValuePair<string, string>>? MonitorValues = null);
