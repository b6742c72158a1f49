namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A session's lease: which gateway process serves it (<see cref="Owner"/>, see <see cref="LeaseOwner"/>),
/// the session's timeout, and whether it is being closed. A lease carries no deadline: its owner's
/// liveness stands for every session it serves (see <see cref="ISessionLeaseStore"/>).
/// </summary>
public sealed record SessionLease(long SessionId, int TimeoutMs, string Owner, bool Closing);
