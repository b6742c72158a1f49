using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>Counts of the applied tree for mntr: nodes, approximate data size (path + data lengths), ephemerals.</summary>
public sealed record TreeStatistics(long Nodes, long ApproximateDataSize, long Ephemerals);
