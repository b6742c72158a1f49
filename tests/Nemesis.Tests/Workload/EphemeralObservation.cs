namespace ZkGateway.Nemesis.Workload;

/// <summary>
/// A look at a session's ephemeral node. <see cref="OnOwnSession"/>: asked on the owning session,
/// which answered, so the session was alive; otherwise asked by the same worker's next session after
/// the server refused to resume the owner (it had expired).
/// </summary>
public sealed record EphemeralObservation(int Process, long Owner, string Path, bool OnOwnSession, bool Exists, long OwnerInStat);
