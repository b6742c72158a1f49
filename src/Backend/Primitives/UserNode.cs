using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>A node as user storage keeps it for direct reads: data (null as ZooKeeper keeps null data), the client-visible Stat, children, ACL.</summary>
/// <remarks><paramref name="Epoch"/>: the distributor's stamp of triggers in flight when it wrote the node (AWS; see <see cref="EpochStamp"/>).</remarks>
public sealed record UserNode(string Path, byte[]? Data, Stat Stat, IReadOnlyList<Acl> Acl, IReadOnlyCollection<string> Children, EpochStamp? Epoch = null)
{
    /// <summary>
    /// On a zookeeper_stats node of a store that does not keep quota usage itself: the zxid up to which
    /// its usage counts every transaction (<see cref="NodeChange.UsageThrough"/>); 0 where unknown.
    /// </summary>
    public long UsageThrough { get; init; }
}
