using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// Writes the tree a fresh ZooKeeper starts with, once, when system storage is empty: both deployments
/// call it before the first write (embedded at start-up, AWS in the writer's first batch).
/// </summary>
public static class InitialTree
{
    /// <summary>The initial tree of a fresh ZooKeeper: /, /zookeeper, /zookeeper/quota, /zookeeper/config.</summary>
    public static async Task WriteAsync(ISystemStorage system, IUserStorage user)
    {
        Stat Empty(int children) => new(0, 0, 0, 0, 0, 0, 0, 0, 0, children, 0);
        var nodes = new[]
        {
            new SystemNode(ZkPath.Root, Empty(1), Acl.OpenAclUnsafe),
            new SystemNode(ZkPath.ZooKeeper, Empty(2), Acl.OpenAclUnsafe),
            new SystemNode(ZkPath.Quota, Empty(0), Acl.OpenAclUnsafe),
            // ZooKeeper's config node: empty, world-readable only, aversion -1 (DataTree.addConfigNode).
            new SystemNode(ZkPath.Config, Empty(0) with { Aversion = -1 }, Acl.ReadAclUnsafe),
        };
        var token = LockToken.New();
        foreach (var node in nodes)
        {
            await system.TryLockAsync(node.Path, token, WriterFunction.LockLease).ConfigureAwait(false);
        }
        var changes = nodes.Select(n => new NodeChange(NodeChangeKind.Put, n.Path, NodeKinds.VisibleStat(n), [], n.Acl)).ToList();
        var txn = new Txn(0, 0, 0, null, new WriteResult(ErrorCode.Ok, 0), changes, []);
        await system.CommitAsync([new CommitRequest(token, [.. nodes.Select(n => n.Path)], [.. nodes.Select(n => new SystemNodeWrite(n.Path, n))], null, 0, txn)]).ConfigureAwait(false);
        await user.ApplyAsync([txn], _ => { }).ConfigureAwait(false);
        await system.PopPendingAsync(0).ConfigureAwait(false);
    }
}
