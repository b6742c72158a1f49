using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Migration;

/// <summary>Between a dump's nodes (the client's view) and the stored forms: ZooKeeper's tree, and the gateway's seed.</summary>
internal static class DumpConversions
{
    /// <summary>A ZooKeeper data directory's tree as dump nodes, kinds known, parents first.</summary>
    public static IReadOnlyList<DumpNode> FromTree(ZooKeeperTree tree) =>
        [.. tree.ToSeedNodes().OrderBy(n => n.Path, StringComparer.Ordinal).Select(n =>
        {
            long owner = n.Stat.EphemeralOwner;
            var (kind, ttl) = NodeKinds.IsContainer(owner) ? (DumpNodeKind.Container, 0L)
                : NodeKinds.TtlOf(owner) is { } t ? (DumpNodeKind.Ttl, t)
                : owner != 0 ? (DumpNodeKind.Ephemeral, 0L)
                : (DumpNodeKind.Persistent, 0L);
            var visible = NodeKinds.VisibleStat(new SystemNode(n.Path, n.Stat, n.Acl));
            return new DumpNode(n.Path, n.Data, n.Acl, visible, kind, ttl);
        })];

    /// <summary>
    /// The seed of a data directory: every node but the ephemerals, which are returned apart (their
    /// sessions do not move). The stored cversion is recovered from the client's (cversion = 2c − n);
    /// a parent of a dropped ephemeral keeps it and has a child fewer, as after a session expiry.
    /// </summary>
    public static (IReadOnlyCollection<SeedNode> Nodes, IReadOnlyList<(string Path, long SessionId)> Dropped) ToSeed(DumpImage image)
    {
        var nodes = new Dictionary<string, SeedNode>(StringComparer.Ordinal);
        var dropped = new List<(string, long)>();
        foreach (var node in image.Nodes)
        {
            var stat = node.Stat with { Cversion = (node.Stat.Cversion + node.Stat.NumChildren) / 2 };
            stat = node.Kind switch
            {
                DumpNodeKind.Container => stat with { EphemeralOwner = NodeKinds.ContainerMarker },
                DumpNodeKind.Ttl => stat with { EphemeralOwner = unchecked((long)0xFF00000000000000UL) | node.Ttl },
                _ => stat,
            };
            if (node.Kind == DumpNodeKind.Ephemeral)
            {
                dropped.Add((node.Path, node.Stat.EphemeralOwner));
                continue;
            }
            nodes[node.Path] = new SeedNode(node.Path, node.Data, stat, node.Acl);
        }
        foreach (var (path, _) in dropped)
        {
            string parent = path.LastIndexOf('/') is 0 ? "/" : path[..path.LastIndexOf('/')];
            if (nodes.TryGetValue(parent, out var p))
            {
                nodes[parent] = p with { Stat = p.Stat with { NumChildren = p.Stat.NumChildren - 1 } };
            }
        }
        dropped.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return (nodes.Values, dropped);
    }

    /// <summary>The last zxid a dump's state is after: its own, or any node's if higher.</summary>
    public static long LastZxid(DumpImage image) =>
        image.Nodes.Aggregate(image.Zxid, (max, n) => Math.Max(max, Math.Max(n.Stat.Czxid, Math.Max(n.Stat.Mzxid, n.Stat.Pzxid))));
}
