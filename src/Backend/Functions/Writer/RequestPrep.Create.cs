using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>create, in PrepRequestProcessor's order, for every create mode (ephemeral, sequential, container, TTL).</summary>
internal sealed partial class RequestPrep
{
    /// <summary>PrepRequestProcessor.validateCreateRequest's first two checks, before the path is looked at.</summary>
    private ErrorCode? TtlRefusal(CreateMode mode, long ttl) =>
        !mode.IsTtl() ? null
        : !options.ExtendedTypesEnabled ? ErrorCode.Unimplemented
        : ttl <= 0 || ttl > NodeKinds.MaxTtl ? ErrorCode.BadArguments
        : null;

    private async ValueTask<OpResult> CreateAsync(CreateOperation create, WriteContext context)
    {
        string path = create.Path;
        if (TtlRefusal(create.Mode, create.Ttl) is { } refusal)
        {
            return new OpResult(refusal);
        }
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash < 0 || path.Contains('\0'))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        var acl = AclRules.Fixup(create.Acl, context.Caller);
        if (acl is null)
        {
            return new OpResult(ErrorCode.InvalidAcl);
        }
        string parentPath = lastSlash == 0 ? ZkPath.Root : path[..lastSlash];
        var (parent, error) = await FindAsync(parentPath, Perms.Create, context).ConfigureAwait(false);
        if (parent is null)
        {
            return new OpResult(error);
        }
        if (create.Mode.IsSequential())
        {
            path += NodeKinds.SequenceSuffix(parent.Stat.Cversion);
        }
        if (!ZkPath.IsValid(path))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        if (await context.GetAsync(path).ConfigureAwait(false) is not null)
        {
            return new OpResult(ErrorCode.NodeExists);
        }
        // Only a session's ephemeral (owner > 0) refuses children; container and TTL markers are negative.
        if (parent.Stat.EphemeralOwner > 0)
        {
            return new OpResult(ErrorCode.NoChildrenForEphemerals);
        }
        if (quotas is not null && await quotas.CheckCreateAsync(path, create.Data, context.Cancellation).ConfigureAwait(false) is var quota and not ErrorCode.Ok)
        {
            return new OpResult(quota);
        }

        long zxid = context.Zxid;
        long owner = create.IsContainer ? NodeKinds.ContainerMarker : create.Mode switch
        {
            CreateMode.Ephemeral or CreateMode.EphemeralSequential => context.SessionId,
            CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl => NodeKinds.TtlMarker(create.Ttl),
            _ => 0,
        };
        var node = new SystemNode(path, new Stat(zxid, zxid, context.Time, context.Time, 0, 0, 0, owner, create.Data?.Length ?? 0, 0, zxid), acl);
        var updatedParent = parent with
        {
            Stat = parent.Stat with { Cversion = parent.Stat.Cversion + 1, NumChildren = parent.Stat.NumChildren + 1, Pzxid = zxid },
        };
        context.Scope.Put(node);
        context.Scope.Put(updatedParent);
        var clientStat = NodeKinds.VisibleStat(node);
        context.Changes.Add(NodeChange.PutWithData(path, clientStat, create.Data, acl) with { StatSource = node });
        context.Changes.Add(new NodeChange(NodeChangeKind.Put, parentPath, NodeKinds.VisibleStat(updatedParent)) { StatSource = updatedParent });
        context.Triggers.Add(new WatchTrigger(EventType.NodeCreated, path, acl));
        context.Triggers.Add(new WatchTrigger(EventType.NodeChildrenChanged, parentPath, parent.Acl));
        return new OpResult(ErrorCode.Ok, path, clientStat);
    }
}
