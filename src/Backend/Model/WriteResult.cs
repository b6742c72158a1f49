using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>The outcome of one operation (a multi has one per op).</summary>
public sealed record OpResult(ErrorCode Error, string? Path = null, Stat? Stat = null);

/// <summary>
/// The outcome of a write. <see cref="Zxid"/> is the transaction's zxid (failed writes consume one too).
/// For multi, <see cref="Error"/> is Ok and <see cref="MultiResults"/> holds the per-op results
/// (0 before the failing op, its code, then RuntimeInconsistency).
/// </summary>
public sealed record WriteResult(ErrorCode Error, long Zxid, OpResult? Result = null, IReadOnlyList<OpResult>? MultiResults = null);
