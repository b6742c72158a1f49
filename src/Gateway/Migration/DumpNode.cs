using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Migration;

/// <summary>What kind of node a dump says a node is. A walk over the client protocol sees containers and TTL nodes as persistent.</summary>
internal enum DumpNodeKind
{
    Persistent,
    Ephemeral,
    Container,
    Ttl,
}

/// <summary>
/// A node of a portable dump (docs/migration.md): data (null stays null), ACL, and the Stat a client
/// sees (cversion as 2 × creations − children; ephemeralOwner 0 for containers and TTL nodes), with the
/// node's kind and, for a TTL node, its TTL.
/// </summary>
internal sealed record DumpNode(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, Stat Stat, DumpNodeKind Kind, long Ttl = 0);

/// <summary>A whole tree as a dump holds it: where it came from, the zxid it is the state after, and the nodes, parents first.</summary>
internal sealed record DumpImage(string Source, long Zxid, bool KindsKnown, IReadOnlyList<DumpNode> Nodes);
