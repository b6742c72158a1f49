using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Backend.Aws;

/// <summary>An import's write of whole node objects (see <see cref="IAwsUserStorage.ImportNodesAsync"/>).</summary>
public sealed partial class S3UserStorage
{
    /// <summary>S3 has no batch put: one PutObject per node, this many at once.</summary>
    private const int ImportParallelism = 8;

    /// <summary>
    /// Each node's object as the distributor writes it (<see cref="PutAsync"/>), no epoch stamp, write
    /// stamp <paramref name="stampZxid"/> (every later batch is newer, so none is skipped) and no
    /// condition (it replaces the initial tree); a stats node's usage counts through it too (the import
    /// counted the whole tree).
    /// </summary>
    public async ValueTask ImportNodesAsync(IReadOnlyList<UserNode> nodes, long stampZxid, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        // Another instance's cache may hold the initial tree's root: it is known stale once the marker moves.
        _cache.Clear();
        await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = ImportParallelism, CancellationToken = cancellationToken }, async (node, ct) =>
        {
            var stored = new StoredNode(node.Stat, node.Acl, node.Data, new SortedSet<string>(node.Children, StringComparer.Ordinal))
            {
                UsageThrough = QuotaPaths.QuotaPathOf(node.Path, QuotaPaths.StatNode) is null ? 0 : stampZxid,
            };
            await PutAsync(node.Path, stored, read: null, stampZxid, epoch: null, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }
}
