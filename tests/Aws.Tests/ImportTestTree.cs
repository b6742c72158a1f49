using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The small tree the import layout tests write into a deployment: a root, a container, a TTL node
/// of null data with another ACL, and a plain node, with Stats as a snapshot stores them (owner
/// markers, creation counters).
/// </summary>
internal static class ImportTestTree
{
    /// <summary>The zxid of the tree's last transaction (the plain node's creation).</summary>
    public const long LastZxid = 0x1_0000_0007;

    /// <summary>The stored owner of a TTL node of 5,000 ms.</summary>
    public static readonly long TtlOwner = unchecked((long)0xFF00000000000000UL) | 5000;

    public static Stat StoredStat(long czxid, int children = 0, int creations = 0, long owner = 0) =>
        new(czxid, czxid, 1000, 1000, 0, creations, 0, owner, 0, children, czxid);

    public static SeedNode[] Nodes() =>
    [
        new("/", [], StoredStat(0, children: 3, creations: 5), Acl.OpenAclUnsafe),
        new("/box", [], StoredStat(0x1_0000_0001, creations: 1, owner: NodeKinds.ContainerMarker), Acl.OpenAclUnsafe),
        new("/ttl", null, StoredStat(0x1_0000_0002, owner: TtlOwner), Acl.ReadAclUnsafe),
        new("/plain", [1, 2, 3], StoredStat(LastZxid) with { DataLength = 3 }, Acl.OpenAclUnsafe),
    ];
}
