using ZkGateway.Backend.Paths;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// DataTree.getMaxPrefixWithQuota over a store read node by node: the longest of a path and its
/// ancestors (not "/") with a zookeeper_limits node. Walks /zookeeper/quota along the path, so a path
/// outside every quota's subtree costs the read of /zookeeper/quota's children and no more.
/// </summary>
public static class QuotaLookup
{
    /// <param name="path">The node a write changes.</param>
    /// <param name="childrenOf">A node's child names; null when it does not exist.</param>
    public static async ValueTask<string?> FindAsync(string path, Func<string, ValueTask<IReadOnlyCollection<string>?>> childrenOf)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(childrenOf);
        string? quota = null;
        string node = ZkPath.Quota;
        var children = await childrenOf(node).ConfigureAwait(false);
        foreach (string name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (children is null || !children.Contains(name))
            {
                break;
            }
            node = node + "/" + name;
            children = await childrenOf(node).ConfigureAwait(false);
            if (children?.Contains(QuotaPaths.LimitNode) == true)
            {
                quota = node[ZkPath.Quota.Length..];
            }
        }
        return quota;
    }
}
