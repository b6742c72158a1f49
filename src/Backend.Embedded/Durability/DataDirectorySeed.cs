using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// Creates a new embedded data directory that holds a given complete tree (an import from ZooKeeper or
/// a dump): one snapshot, no sessions, an epoch above every zxid in the tree so that the gateway's new
/// zxids follow the imported ones. All or nothing (<see cref="StagedDataDirectory"/>).
/// </summary>
public static class DataDirectorySeed
{
    /// <summary>
    /// Writes <paramref name="nodes"/> (every node, "/" included, parents before or after children) as
    /// the state after zxid <paramref name="lastZxid"/> into <paramref name="dataDir"/>, which must be
    /// absent or empty. Returns the number of nodes written.
    /// </summary>
    public static int Create(string dataDir, long lastZxid, IReadOnlyCollection<SeedNode> nodes, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (!nodes.Any(n => n.Path == "/"))
        {
            throw new InvalidDataException("the tree to seed has no root node");
        }
        // The gateway starts epoch Epoch + 1 (EmbeddedDeployment), so its first zxid is above lastZxid.
        long epoch = Math.Max(0, lastZxid >> 32);
        return StagedDataDirectory.Create(dataDir, "importing", staging =>
        {
            SnapshotFile.Write(staging, 0, epoch, lastZxid, [], nodes.Select(ToSnapshotNode));
            return nodes.Count;
        }, logger);
    }

    private static SnapshotNode ToSnapshotNode(SeedNode node)
    {
        var system = new SystemNode(node.Path, node.Stat, node.Acl);
        return new SnapshotNode(node.Path, new UserRow(node.Path, node.Data, NodeKinds.VisibleStat(system), node.Acl), system);
    }
}
