using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A node's record in system storage: everything the writer validates against, no data.
/// <see cref="Stat"/> holds ZooKeeper's persisted stat, whose Cversion is the parent's child
/// creation counter (the sequential suffix); clients see 2 × counter − numChildren (DataNode.copyStat).
/// </summary>
public sealed record SystemNode(string Path, Stat Stat, IReadOnlyList<Acl> Acl)
{
    public bool IsEphemeral => Stat.EphemeralOwner != 0;

    /// <summary>The Stat a client sees.</summary>
    public Stat ClientStat => Stat with { Cversion = (2 * Stat.Cversion) - Stat.NumChildren };
}
