using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>The operations on one existing node: setData, setACL, and multi's check.</summary>
internal sealed partial class RequestPrep
{
    private async ValueTask<OpResult> SetDataAsync(SetDataOperation set, WriteContext context)
    {
        if (!ZkPath.IsValid(set.Path))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        var (node, error) = await FindAsync(set.Path, Perms.Write, context).ConfigureAwait(false);
        if (node is null)
        {
            return new OpResult(error);
        }
        // PrepRequestProcessor checks the quota after the ACL, before the version.
        if (quotas is not null && await quotas.CheckSetDataAsync(set.Path, node.Stat.DataLength, set.Data, context.Cancellation).ConfigureAwait(false) is var quota and not ErrorCode.Ok)
        {
            return new OpResult(quota);
        }
        if (set.Version != -1 && set.Version != node.Stat.Version)
        {
            return new OpResult(ErrorCode.BadVersion);
        }
        var updated = node with
        {
            Stat = node.Stat with { Mzxid = context.Zxid, Mtime = context.Time, Version = NextVersion(node.Stat.Version), DataLength = set.Data?.Length ?? 0 },
        };
        context.Scope.Put(updated);
        context.Changes.Add(NodeChange.PutWithData(set.Path, NodeKinds.VisibleStat(updated), set.Data) with { PreviousDataLength = node.Stat.DataLength, StatSource = updated });
        context.Triggers.Add(new WatchTrigger(EventType.NodeDataChanged, set.Path, node.Acl));
        return new OpResult(ErrorCode.Ok, set.Path, NodeKinds.VisibleStat(updated));
    }

    private static async ValueTask<OpResult> CheckAsync(CheckOperation check, WriteContext context)
    {
        if (!ZkPath.IsValid(check.Path))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        var (node, error) = await FindAsync(check.Path, Perms.Read, context).ConfigureAwait(false);
        if (node is null)
        {
            return new OpResult(error);
        }
        return check.Version != -1 && check.Version != node.Stat.Version
            ? new OpResult(ErrorCode.BadVersion)
            : new OpResult(ErrorCode.Ok);
    }

    private static async ValueTask<OpResult> SetAclAsync(SetAclOperation setAcl, WriteContext context)
    {
        // PrepRequestProcessor: BadArguments → InvalidACL → NoNode → NoAuth (ADMIN) → BadVersion (aversion).
        if (!ZkPath.IsValid(setAcl.Path))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        var acl = AclRules.Fixup(setAcl.Acl, context.Caller);
        if (acl is null)
        {
            return new OpResult(ErrorCode.InvalidAcl);
        }
        var (node, error) = await FindAsync(setAcl.Path, Perms.Admin, context).ConfigureAwait(false);
        if (node is null)
        {
            return new OpResult(error);
        }
        if (setAcl.Version != -1 && setAcl.Version != node.Stat.Aversion)
        {
            return new OpResult(ErrorCode.BadVersion);
        }
        // Only aversion changes (mzxid, mtime and version stay); setACL triggers no watches.
        var updated = node with { Stat = node.Stat with { Aversion = NextVersion(node.Stat.Aversion) }, Acl = acl };
        context.Scope.Put(updated);
        var visible = NodeKinds.VisibleStat(updated);
        context.Changes.Add(new NodeChange(NodeChangeKind.Put, setAcl.Path, visible, null, acl) { StatSource = updated });
        return new OpResult(ErrorCode.Ok, setAcl.Path, visible);
    }

    /// <summary>version + 1; ZOOKEEPER-4743: a wrap that would give -1 (the "any" version) gives 0.</summary>
    private static int NextVersion(int version)
    {
        int next = unchecked(version + 1);
        return next == -1 ? 0 : next;
    }
}
