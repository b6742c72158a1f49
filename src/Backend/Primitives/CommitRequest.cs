using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>One item of a conditional commit: the node's new state, or null to delete it.</summary>
public sealed record SystemNodeWrite(string Path, SystemNode? NewState);

/// <summary>
/// A conditional commit: applied only while every locked path is still held with <see cref="Token"/>;
/// releases the locks and appends <see cref="Pending"/> to the pending-update list, atomically.
/// </summary>
/// <remarks>
/// <paramref name="ClosingSession"/>: this commit is one part (not the last) of a closeSession split over
/// several commits because its ephemerals do not fit one (see <see cref="ISystemStorage.FitsOneCommit"/>):
/// the store marks that session closing (it can own no new ephemeral) and remembers the part's zxid, so
/// that a writer processing the close again finds the parts still pending
/// (<see cref="ISystemStorage.GetPendingClosePartsAsync"/>). The last part has
/// <paramref name="ClosedSession"/> set instead; it is committed only if every earlier part of the same
/// batch was.
/// </remarks>
public sealed record CommitRequest(
    LockToken Token,
    IReadOnlyList<string> LockedPaths,
    IReadOnlyList<SystemNodeWrite> Nodes,
    SessionRecord? CreatedSession,
    long ClosedSession,
    Txn Pending,
    long ClosingSession = 0);

/// <summary>A request found committed: its zxid, and its transaction if the distributor has not applied it yet.</summary>
public sealed record CommittedRequest(long Zxid, Txn? Pending);
