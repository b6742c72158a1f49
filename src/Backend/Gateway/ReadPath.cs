using System.Diagnostics.CodeAnalysis;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The reads, straight from user storage (no function in between), with the watch a read may set.
/// Embedded, user storage runs each read under its lock, atomically with the distributor's apply
/// step. With the functions elsewhere (<paramref name="inbox"/> set), reads go to cloud storage and
/// watch event before data is this gateway's job: the read first waits for the triggers on their way
/// to its inbox (<see cref="InboxProgress"/>), then fires its out-of-date watches (<see cref="StaleWatches"/>).
/// </summary>
internal sealed class ReadPath(IUserStorage user, ISystemStorage system, IWatchInterest interest, IWatchStorage watches, INotificationSink sink, InboxProgress? inbox)
{
    private readonly StaleWatches? _stale = inbox is null ? null : new StaleWatches(watches, user, sink);
    private readonly LargeChildLists _largeChildLists = new();

    // Made once: the reply needs the kept lists, and a capturing lambda made per read would allocate.
    private Func<UserNode, ChildList>? _childList;

    public ValueTask<ReadResult<Stat>> ExistsAsync(string path, long? watcher, CancellationToken cancellationToken)
    {
        if (path.Contains('\0'))
        {
            return ValueTask.FromResult(ReadResult<Stat>.Fail(ErrorCode.BadArguments, user.AppliedZxid));
        }
        return WatchedReadAsync(path, watcher, WatchKind.Data, (Watches: watches, Path: path, Watcher: watcher), static (node, zxid, s) =>
        {
            if (s.Watcher is { } w)
            {
                s.Watches.Register(WatchPath(s.Path, node), node is null ? WatchKind.Exist : WatchKind.Data, w, node?.Stat.Mzxid ?? 0);
            }
            return node is null ? ReadResult<Stat>.Fail(ErrorCode.NoNode, zxid) : ReadResult<Stat>.Ok(node.Stat, zxid);
        }, "exists", cancellationToken);
    }

    /// <summary>
    /// The path string a watch is kept under: the node's own when it is the same path (the embedded
    /// tree hands out its key, so the watch tables hold no copy of it), else the request's.
    /// </summary>
    internal static string WatchPath(string requested, UserNode? node) =>
        node is not null && string.Equals(node.Path, requested, StringComparison.Ordinal) ? node.Path : requested;

    public ValueTask<ReadResult<NodeData>> GetDataAsync(string path, long? watcher, CallerIdentity? caller, CancellationToken cancellationToken) =>
        ReadNodeAsync(path, watcher, caller, WatchKind.Data, static node => new NodeData(node.Data, node.Stat), "getData", cancellationToken);

    public ValueTask<ReadResult<ChildList>> GetChildrenAsync(string path, long? watcher, CallerIdentity? caller, CancellationToken cancellationToken) =>
        ReadNodeAsync(path, watcher, caller, WatchKind.Child, _childList ??= node => new ChildList(_largeChildLists.Get(node), node.Stat), "getChildren", cancellationToken);

    /// <summary>
    /// getData and getChildren: NoNode, then NoAuth, then the watch (a data watch at the node's mzxid,
    /// a child watch at its pzxid), then the reply. The hot reads pass their state to a static lambda:
    /// no closure per read.
    /// </summary>
    private ValueTask<ReadResult<T>> ReadNodeAsync<T>(string path, long? watcher, CallerIdentity? caller, WatchKind kind, Func<UserNode, T> reply, string operation, CancellationToken cancellationToken) =>
        WatchedReadAsync(path, watcher, kind, (Watches: watches, Path: path, Watcher: watcher, Caller: caller, Kind: kind, Reply: reply), static (node, zxid, s) =>
        {
            if (!CanRead(node, s.Caller, out var error))
            {
                return ReadResult<T>.Fail(error, zxid);
            }
            if (s.Watcher is { } w)
            {
                s.Watches.Register(WatchPath(s.Path, node), s.Kind, w, s.Kind == WatchKind.Child ? node.Stat.Pzxid : node.Stat.Mzxid);
            }
            return ReadResult<T>.Ok(s.Reply(node), zxid);
        }, operation, cancellationToken);

    public ValueTask<ReadResult<NodeAcl>> GetAclAsync(string path, CallerIdentity? caller, CancellationToken cancellationToken) =>
        WatchedReadAsync<ReadResult<NodeAcl>>(path, null, WatchKind.Data, (node, zxid) =>
        {
            if (node is null)
            {
                return ReadResult<NodeAcl>.Fail(ErrorCode.NoNode, zxid);
            }
            var who = caller ?? CallerIdentity.Anonymous;
            // FinalRequestProcessor: READ or ADMIN to read the ACL; without ADMIN digest hashes are masked.
            if (!AclRules.Allows(node.Acl, Perms.Read | Perms.Admin, who))
            {
                return ReadResult<NodeAcl>.Fail(ErrorCode.NoAuth, zxid);
            }
            var acl = AclRules.Allows(node.Acl, Perms.Admin, who) ? node.Acl : AclRules.MaskDigests(node.Acl);
            return ReadResult<NodeAcl>.Ok(new NodeAcl(acl, node.Stat), zxid);
        }, "getACL", cancellationToken);

    public async ValueTask<ReadResult<int>> GetAllChildrenNumberAsync(string path, CallerIdentity? caller, CancellationToken cancellationToken)
    {
        using var charge = CostMeter.Begin("getAllChildrenNumber");
        // FinalRequestProcessor: NoNode, then READ on the node, then the count.
        var allowed = await user.ReadAsync(ZkPath.Lookup(path), (node, zxid) =>
            CanRead(node, caller, out var error) ? ReadResult<int>.Ok(0, zxid) : ReadResult<int>.Fail(error, zxid), cancellationToken).ConfigureAwait(false);
        if (!allowed.IsOk)
        {
            return allowed;
        }
        // 3.8.0's DataTree.getAllChildrenNumber counts the keys that start with path + "/": for "" that is
        // every node but its "" alias of the root, the root itself included, so one more than for "/".
        int count = path.Length == 0
            ? await user.CountDescendantsAsync(ZkPath.Root, cancellationToken).ConfigureAwait(false) + 1
            : await user.CountDescendantsAsync(path, cancellationToken).ConfigureAwait(false);
        return count < 0 ? ReadResult<int>.Fail(ErrorCode.NoNode, user.AppliedZxid) : ReadResult<int>.Ok(count, user.AppliedZxid);
    }

    public async ValueTask<ReadResult<IReadOnlyList<string>>> GetEphemeralsAsync(long sessionId, string prefix, CancellationToken cancellationToken)
    {
        using var charge = CostMeter.Begin("getEphemerals");
        var all = await system.GetEphemeralsAsync(sessionId, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> matching = prefix is "" or "/" ? all : [.. all.Where(p => p.StartsWith(prefix, StringComparison.Ordinal))];
        return ReadResult<IReadOnlyList<string>>.Ok(matching, user.AppliedZxid);
    }

    /// <summary>FinalRequestProcessor's order for a read: NoNode first, then READ on the node.</summary>
    private static bool CanRead([NotNullWhen(true)] UserNode? node, CallerIdentity? caller, out ErrorCode error)
    {
        error = node is null ? ErrorCode.NoNode
            : AclRules.Allows(node.Acl, Perms.Read, caller ?? CallerIdentity.Anonymous) ? ErrorCode.Ok
            : ErrorCode.NoAuth;
        return error == ErrorCode.Ok;
    }

    /// <inheritdoc cref="WatchedReadAsync{TState, T}"/>
    public ValueTask<T> WatchedReadAsync<T>(string path, long? watcher, WatchKind kind, Func<UserNode?, long, T> read, string operation, CancellationToken cancellationToken) =>
        WatchedReadAsync(path, watcher, kind, read, static (node, zxid, read) => read(node, zxid), operation, cancellationToken);

    /// <summary>
    /// A read that may set a watch, charged as ZooKeeper's <paramref name="operation"/>. With a watcher,
    /// the gateway's interest in the path is recorded before the read (so no trigger after the read can
    /// be missed; one the read already reflects is ignored thanks to the observed zxid). Direct reads
    /// first wait for the triggers the node's epoch stamp says are on their way to the inbox (other
    /// paths' events), then fire the watcher's own watches on the path that the read shows to be out of
    /// date (as FaaSKeeper's client does).
    /// </summary>
    public async ValueTask<T> WatchedReadAsync<TState, T>(string path, long? watcher, WatchKind kind, TState state, Func<UserNode?, long, TState, T> read, string operation, CancellationToken cancellationToken)
    {
        using var charge = CostMeter.Begin(operation);
        using var span = Diagnostics.CloudTrace.StartGatewayRead(operation);
        if (watcher is not null)
        {
            await interest.AddAsync(path, kind, cancellationToken).ConfigureAwait(false);
        }
        if (inbox is null)
        {
            return await user.ReadAsync(ZkPath.Lookup(path), state, read, cancellationToken).ConfigureAwait(false);
        }
        // Remote storage has no lock to hold the read under: the node is answered from what was read.
        var (node, zxid) = await user.ReadAsync(ZkPath.Lookup(path), static (n, z) => (n, z), cancellationToken).ConfigureAwait(false);
        if (node is not null)
        {
            await inbox.AwaitEpochAsync(node.Epoch, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await inbox.AwaitRoutedAsync(cancellationToken).ConfigureAwait(false);
        }
        _stale!.Fire(path, node);
        return read(node, zxid, state);
    }
}
