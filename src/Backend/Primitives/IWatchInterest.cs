namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A gateway's side of watch routing with the AWS provider set: before a watching read it records,
/// in system storage, that it cares about the path (so the distributor sends it that path's triggers);
/// embedded there is one gateway and nothing to record.
/// </summary>
public interface IWatchInterest
{
    /// <summary>Records interest in the triggers of <paramref name="path"/> before the watching read is made.</summary>
    ValueTask AddAsync(string path, WatchKind kind, CancellationToken cancellationToken = default);

    /// <summary>
    /// This gateway's recent first-time registrations, each recorded before <see cref="AddAsync"/>
    /// returns (and before any concurrent AddAsync of the same path can skip writing); null where
    /// routing needs no registration (embedded).
    /// </summary>
    InterestRegistrations? Registrations => null;
}
