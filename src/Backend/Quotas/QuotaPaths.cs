using ZkGateway.Backend.Paths;

namespace ZkGateway.Backend.Quotas;

/// <summary>ZooKeeper's Quotas class: where the limits and stats of a quota on a path live.</summary>
public static class QuotaPaths
{
    public const string LimitNode = "zookeeper_limits";
    public const string StatNode = "zookeeper_stats";

    public static string LimitPath(string path) => ZkPath.Quota + path + "/" + LimitNode;

    public static string StatPath(string path) => ZkPath.Quota + path + "/" + StatNode;

    /// <summary>
    /// The quota path a limits or stats node belongs to (<c>/zookeeper/quota/a/zookeeper_stats</c> →
    /// <c>/a</c>), or null for any other node.
    /// </summary>
    public static string? QuotaPathOf(string path, string node)
    {
        string suffix = "/" + node;
        return path.StartsWith(ZkPath.Quota + "/", StringComparison.Ordinal) && path.EndsWith(suffix, StringComparison.Ordinal)
            && path.Length > ZkPath.Quota.Length + suffix.Length
            ? path[ZkPath.Quota.Length..^suffix.Length]
            : null;
    }

    /// <summary>The path and its ancestors, longest first, without "/" (ZooKeeper keeps no quota on the root).</summary>
    public static IEnumerable<string> PrefixesLongestFirst(string path)
    {
        for (string? p = path; p is not null && p != ZkPath.Root; p = ZkPath.Parent(p))
        {
            yield return p;
        }
    }

    /// <summary>PathUtils.getTopNamespace: "/a/b" → "a"; null for "/" (nothing is counted for it).</summary>
    public static string? TopNamespace(string path)
    {
        string[] parts = path.Split('/');
        return parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null;
    }
}
