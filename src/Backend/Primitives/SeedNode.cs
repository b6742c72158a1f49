using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// One node of a complete tree to seed a deployment with (an import from ZooKeeper or a dump).
/// <paramref name="Stat"/> is the stored form (<see cref="SystemNode.Stat"/>): Cversion is the count of
/// child creations, EphemeralOwner keeps the container and TTL markers, DataLength and NumChildren are
/// the node's own.
/// </summary>
public sealed record SeedNode(string Path, byte[]? Data, Stat Stat, IReadOnlyList<Acl> Acl);
