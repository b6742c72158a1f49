using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>delete and the reaper's deleteContainer, and the removal of a node every delete shares.</summary>
internal sealed partial class RequestPrep
{
    private static async ValueTask<OpResult> DeleteAsync(DeleteOperation delete, WriteContext context)
    {
        if (delete.Path.LastIndexOf('/') < 0 || delete.Path.Contains('\0') || ZkPath.IsReserved(delete.Path))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        var (parent, error) = await FindAsync(ZkPath.Parent(delete.Path)!, Perms.Delete, context).ConfigureAwait(false);
        if (parent is null)
        {
            return new OpResult(error);
        }
        var node = await context.GetAsync(delete.Path).ConfigureAwait(false);
        if (node is null)
        {
            return new OpResult(ErrorCode.NoNode);
        }
        if (delete.Version != -1 && delete.Version != node.Stat.Version)
        {
            return new OpResult(ErrorCode.BadVersion);
        }
        if (node.Stat.NumChildren > 0)
        {
            return new OpResult(ErrorCode.NotEmpty);
        }
        await RemoveNodeAsync(node, context).ConfigureAwait(false);
        return new OpResult(ErrorCode.Ok);
    }

    /// <summary>
    /// deleteContainer, as PrepRequestProcessor checks it: NotEmpty if the node got a child since the
    /// reaper chose it, BadVersion if it is no container or TTL node. Unlike 3.8.0 a TTL node must also
    /// still be expired now (ZooKeeper deletes a TTL node changed between the scan and the delete), since
    /// here the request may wait in the writer queue behind other writes.
    /// </summary>
    private static async ValueTask<WriteResult> DeleteContainerAsync(DeleteContainerOperation reap, WriteContext context)
    {
        long zxid = context.Zxid;
        if (!ZkPath.IsValid(reap.Path) || reap.Path == ZkPath.Root)
        {
            return new WriteResult(ErrorCode.BadArguments, zxid);
        }
        var node = await context.GetAsync(reap.Path).ConfigureAwait(false);
        if (node is null)
        {
            return new WriteResult(ErrorCode.NoNode, zxid);
        }
        if (node.Stat.NumChildren > 0)
        {
            return new WriteResult(ErrorCode.NotEmpty, zxid);
        }
        bool reapable = NodeKinds.IsContainer(node.Stat.EphemeralOwner)
            || (NodeKinds.TtlOf(node.Stat.EphemeralOwner) is { } ttl && context.Time - node.Stat.Mtime > ttl);
        if (!reapable)
        {
            return new WriteResult(ErrorCode.BadVersion, zxid);
        }
        await RemoveNodeAsync(node, context).ConfigureAwait(false);
        return new WriteResult(ErrorCode.Ok, zxid, new OpResult(ErrorCode.Ok));
    }

    /// <summary>Stages a checked node's removal: the node, its parent's new Stat, and both watch events.</summary>
    internal static async ValueTask RemoveNodeAsync(SystemNode node, WriteContext context)
    {
        string parentPath = ZkPath.Parent(node.Path)!;
        var parent = await context.GetAsync(parentPath).ConfigureAwait(false);
        context.Scope.Delete(node.Path);
        context.Changes.Add(new NodeChange(NodeChangeKind.Delete, node.Path, node.ClientStat));
        context.Triggers.Add(new WatchTrigger(EventType.NodeDeleted, node.Path, node.Acl));
        if (parent is not null)
        {
            var updatedParent = parent with { Stat = parent.Stat with { NumChildren = parent.Stat.NumChildren - 1, Pzxid = context.Zxid } };
            context.Scope.Put(updatedParent);
            context.Changes.Add(new NodeChange(NodeChangeKind.Put, parentPath, NodeKinds.VisibleStat(updatedParent)) { StatSource = updatedParent });
            context.Triggers.Add(new WatchTrigger(EventType.NodeChildrenChanged, parentPath, parent.Acl));
        }
    }
}
