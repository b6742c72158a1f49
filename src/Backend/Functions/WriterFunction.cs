using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// FaaSKeeper's writer function: consumes the writer queue in order and, per request, takes timed
/// locks on the node and its parent (reading them in the same step), validates with ZooKeeper's check
/// order, assigns the zxid, commits system state conditionally on still holding the locks (appending
/// the transaction to the pending-update list), then pushes the transaction to the distributor queue.
/// <para>
/// A batch of requests is committed together (group commit: one durable storage transaction for the
/// batch). Requests later in a batch see the uncommitted effects of earlier ones through the batch
/// overlay, exactly as if they had been committed one by one.
/// </para>
/// </summary>
public sealed class WriterFunction
{
    /// <summary>How long a lock is ours. Far above a batch's duration; a crashed holder's locks lapse.</summary>
    public static readonly TimeSpan LockLease = TimeSpan.FromSeconds(7);

    public const string ZxidCounter = "zxid";

    private readonly ISystemStorage _system;
    private readonly IOrderedQueue<Txn> _distributorQueue;
    private readonly TimeProvider _time;
    private readonly BackendOptions _options;

    public WriterFunction(ISystemStorage system, IOrderedQueue<Txn> distributorQueue, TimeProvider time, BackendOptions options)
    {
        _system = system;
        _distributorQueue = distributorQueue;
        _time = time;
        _options = options;
    }

    /// <summary>Consumes the writer queue until it completes.</summary>
    public async Task RunAsync(IOrderedQueue<WriteRequest> writerQueue, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await writerQueue.ReceiveBatchAsync(_options.MaxWriteBatch, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return;
            }
            await HandleBatchAsync(batch.Messages, cancellationToken).ConfigureAwait(false);
            await writerQueue.AcknowledgeAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task HandleBatchAsync(IReadOnlyList<WriteRequest> batch, CancellationToken cancellationToken)
    {
        var token = LockToken.New();
        var overlay = new Dictionary<string, SystemNode?>(StringComparer.Ordinal);
        var commits = new List<CommitRequest>();
        // In zxid order; usually one per request, but a split closeSession adds several (its parts,
        // and the parts an earlier attempt committed and never distributed).
        var txns = new List<Txn>(batch.Count);
        // Sessions closed by an earlier request of this batch: their later requests find them expired.
        var closed = new HashSet<long>();
        // Locks of requests that changed nothing are released after the batch's commit, not before:
        // an earlier request of the batch may hold the same path (same token) until its commit.
        var unlockAfterCommit = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < batch.Count; i++)
        {
            var scope = new RequestScope(this, token, overlay, closed);
            var request = batch[i];
            if (request.Operation is CloseSessionOperation)
            {
                // A close that an earlier attempt split and did not finish: those parts go out first.
                txns.AddRange(await _system.GetPendingClosePartsAsync(request.SessionId, cancellationToken).ConfigureAwait(false));
            }
            var txn = await ProcessAsync(request, scope, cancellationToken).ConfigureAwait(false);
            if (txn.ChangesState || scope.CreatedSession is not null || scope.ClosedSession != 0)
            {
                if (!_system.FitsOneCommit(new CommitRequest(token, scope.LockedPaths, scope.StagedWrites(), scope.CreatedSession, scope.ClosedSession, txn)))
                {
                    unlockAfterCommit.UnionWith(scope.LockedPaths);
                    if (scope.ClosedSession != 0)
                    {
                        // closeSession deletes every ephemeral in ZooKeeper, however many: here in parts.
                        foreach (var (part, commit) in await SplitCloseAsync(request, txn, scope, token, overlay, cancellationToken).ConfigureAwait(false))
                        {
                            txns.Add(part);
                            commits.Add(commit);
                        }
                        closed.Add(request.SessionId);
                        continue;
                    }
                    // Larger than the provider's atomic commit (DynamoDB: 100 items). ZooKeeper has no
                    // such limit; refusing the whole request keeps it all-or-nothing.
                    txns.Add(txn with { Changes = [], Triggers = [], ClosedSessionId = 0, Result = new WriteResult(ErrorCode.MarshallingError, txn.Zxid) });
                    continue;
                }
                scope.MergeInto(overlay);
                commits.Add(new CommitRequest(token, scope.LockedPaths, scope.Writes, scope.CreatedSession, scope.ClosedSession, txn));
                if (scope.ClosedSession != 0)
                {
                    closed.Add(scope.ClosedSession);
                }
            }
            else
            {
                unlockAfterCommit.UnionWith(scope.LockedPaths);
            }
            txns.Add(txn);
        }

        if (commits.Count > 0)
        {
            FaultPoint.Hit("writer-before-commit");
        }
        bool[] applied;
        // A batch's commits and its push to the distributor serve all its requests: charged to the batch.
        using (Metering.CostMeter.Begin("write-commit"))
        {
            applied = commits.Count == 0 ? [] : await _system.CommitAsync(commits, cancellationToken).ConfigureAwait(false);
        }
        if (commits.Count > 0)
        {
            FaultPoint.Hit("writer-after-commit");
        }
        foreach (var commit in commits)
        {
            unlockAfterCommit.ExceptWith(commit.LockedPaths);
        }
        foreach (string path in unlockAfterCommit)
        {
            await _system.UnlockAsync(path, token, cancellationToken).ConfigureAwait(false);
        }
        // Commits that did not happen: a lost lock, or a request committed before (its batch came again
        // after a writer crash) — then what it was committed as goes out again, once.
        var replaced = new Dictionary<long, Txn?>();
        for (int i = 0; i < applied.Length; i++)
        {
            // A part of a split close that did not commit has no reply of its own: it is left out (the
            // last part, which carries the reply, then failed too, and the client gets a system error).
            if (!applied[i] && commits[i].ClosingSession != 0)
            {
                replaced[commits[i].Pending.Zxid] = null;
            }
            else if (!applied[i])
            {
                var pending = commits[i].Pending;
                var earlier = pending.ReplyTo is { } replyTo
                    ? await _system.FindCommittedAsync(replyTo, cancellationToken).ConfigureAwait(false)
                    : null;
                replaced[pending.Zxid] = earlier is null
                    // The client gets a system error, not a silent success.
                    ? pending with { Changes = [], Triggers = [], ClosedSessionId = 0, Result = new WriteResult(ErrorCode.SystemError, pending.Zxid) }
                    // Still pending: distribute it (a no-op if the crashed writer pushed it: same
                    // deduplication id). Already applied: its reply went out with it.
                    : earlier.Pending;
            }
        }
        // Requests that failed validation: their outcome is recorded, so that processed again (the batch
        // redelivered after a crash) a request is answered as the first time even if it would now
        // succeed; and a request whose first processing committed, found failing now (a create meeting
        // the node it made), is answered with what it became.
        var committed = commits.Select(c => c.Pending.Zxid).ToHashSet();
        var failures = txns.Where(t => t.ReplyTo is not null && !committed.Contains(t.Zxid) && !replaced.ContainsKey(t.Zxid) && IsFailure(t.Result)).ToList();
        if (failures.Count > 0)
        {
            var outcomes = await Task.WhenAll(failures.Select(f => _system.RecordFailureAsync(f, cancellationToken).AsTask())).ConfigureAwait(false);
            for (int i = 0; i < failures.Count; i++)
            {
                if (outcomes[i] is { } earlier)
                {
                    replaced[failures[i].Zxid] = earlier.Pending;
                }
            }
        }
        var outgoing = new List<Txn>(txns.Count);
        foreach (var txn in txns)
        {
            if (!replaced.TryGetValue(txn.Zxid, out var instead))
            {
                outgoing.Add(txn);
            }
            else if (instead is not null)
            {
                outgoing.Add(instead);
            }
        }
        using var charge = Metering.CostMeter.Begin("write-push");
        await _distributorQueue.SendBatchAsync(outgoing, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Txn> ProcessAsync(WriteRequest request, RequestScope scope, CancellationToken ct)
    {
        using var charge = Metering.CostMeter.Begin(Metering.CostMeter.NameOf(request.Operation));
        long time = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (request.Operation is SyncOperation sync)
        {
            // sync is not a transaction: no zxid; it only keeps its place in the total order.
            long current = await CurrentZxidAsync(ct).ConfigureAwait(false);
            return new Txn(current, time, request.SessionId, request.ReplyTo, new WriteResult(ErrorCode.Ok, current, new OpResult(ErrorCode.Ok, sync.Path)), [], []);
        }

        long zxid = await _system.IncrementCounterAsync(ZxidCounter, ct).ConfigureAwait(false);
        var caller = request.Caller ?? CallerIdentity.Anonymous;
        var changes = new List<NodeChange>();
        var triggers = new List<WatchTrigger>();
        WriteResult result;
        switch (request.Operation)
        {
            case CreateSessionOperation create:
                scope.CreatedSession = new SessionRecord(create.SessionId, create.Password, create.TimeoutMs);
                result = new WriteResult(ErrorCode.Ok, zxid);
                break;
            case CloseSessionOperation:
                await CloseSessionAsync(request.SessionId, zxid, time, scope, changes, triggers, ct).ConfigureAwait(false);
                result = new WriteResult(ErrorCode.Ok, zxid);
                break;
            case DeleteContainerOperation reap:
                // The reaper's request has no session (ZooKeeper sends it with session 0).
                result = await DeleteContainerAsync(reap, zxid, time, scope, changes, triggers, ct).ConfigureAwait(false);
                break;
            case MultiOperation multi:
                result = await MultiAsync(request.SessionId, caller, multi, zxid, time, scope, changes, triggers, ct).ConfigureAwait(false);
                break;
            default:
                if (!await SessionAliveAsync(request.SessionId, scope, ct).ConfigureAwait(false))
                {
                    result = new WriteResult(ErrorCode.SessionExpired, zxid);
                    break;
                }
                var op = await ApplyAsync(request.SessionId, caller, request.Operation, zxid, time, scope, changes, triggers, ct).ConfigureAwait(false);
                result = new WriteResult(op.Error, zxid, op);
                break;
        }
        if (result.Error != ErrorCode.Ok || (result.MultiResults is { } r && r.Any(x => x.Error != ErrorCode.Ok)))
        {
            scope.DiscardWrites();
            changes.Clear();
            triggers.Clear();
        }
        return new Txn(zxid, time, request.SessionId, request.ReplyTo, result, changes, triggers, scope.ClosedSession);
    }

    private static bool IsFailure(WriteResult result) =>
        result.Error != ErrorCode.Ok || (result.MultiResults?.Any(r => r.Error != ErrorCode.Ok) ?? false);

    private ValueTask<long> CurrentZxidAsync(CancellationToken ct) => _system.ReadCounterAsync(ZxidCounter, ct);

    private async ValueTask<bool> SessionAliveAsync(long sessionId, RequestScope scope, CancellationToken ct)
    {
        if (scope.ClosedSession == sessionId || scope.ClosedEarlierInBatch(sessionId))
        {
            return false;
        }
        return await _system.GetSessionAsync(sessionId, ct).ConfigureAwait(false) is not null;
    }

    private async Task<WriteResult> MultiAsync(long sessionId, CallerIdentity caller, MultiOperation multi, long zxid, long time, RequestScope scope, List<NodeChange> changes, List<WatchTrigger> triggers, CancellationToken ct)
    {
        var results = new List<OpResult>(multi.Operations.Count);
        bool alive = await SessionAliveAsync(sessionId, scope, ct).ConfigureAwait(false);
        int failedAt = -1;
        for (int i = 0; i < multi.Operations.Count; i++)
        {
            var op = alive
                ? await ApplyAsync(sessionId, caller, multi.Operations[i], zxid, time, scope, changes, triggers, ct).ConfigureAwait(false)
                : new OpResult(ErrorCode.SessionExpired);
            results.Add(op);
            if (op.Error != ErrorCode.Ok)
            {
                failedAt = i;
                break;
            }
        }
        if (failedAt >= 0)
        {
            // All or nothing: earlier ops report Ok (kazoo's RolledBackError), the failing op its code,
            // later ops RuntimeInconsistency. The reply header's err stays Ok.
            var rolledBack = new List<OpResult>(multi.Operations.Count);
            for (int i = 0; i < multi.Operations.Count; i++)
            {
                rolledBack.Add(i < failedAt ? new OpResult(ErrorCode.Ok) : i == failedAt ? new OpResult(results[i].Error) : new OpResult(ErrorCode.RuntimeInconsistency));
            }
            return new WriteResult(ErrorCode.Ok, zxid, null, rolledBack);
        }
        return new WriteResult(ErrorCode.Ok, zxid, null, results);
    }

    private async Task CloseSessionAsync(long sessionId, long zxid, long time, RequestScope scope, List<NodeChange> changes, List<WatchTrigger> triggers, CancellationToken ct)
    {
        if (await _system.GetSessionAsync(sessionId, ct).ConfigureAwait(false) is null)
        {
            return;
        }
        foreach (string path in await _system.GetEphemeralsAsync(sessionId, ct).ConfigureAwait(false))
        {
            var node = await scope.GetAsync(path, ct).ConfigureAwait(false);
            if (node is null || node.Stat.EphemeralOwner != sessionId)
            {
                continue;
            }
            await RemoveNodeAsync(node, zxid, scope, changes, triggers, ct).ConfigureAwait(false);
        }
        scope.ClosedSession = sessionId;
    }

    /// <summary>
    /// A closeSession whose ephemerals do not fit one atomic commit (DynamoDB: 100 items), staged as
    /// parts that each do: every part deletes as many ephemerals as fit, with their parents' new Stat,
    /// under its own zxid, and is a complete transaction in its own right (committed, distributed and
    /// answered in zxid order like any other). The first part takes the close's zxid, each further part
    /// the next one; the last part also deletes the session and carries the reply, so the client's
    /// reply and its session's end come after every NodeDeleted. The store marks the session closing
    /// with the first part (no new ephemerals) and records each part, so a writer that crashes between
    /// parts leaves a consistent state: processed again, the close finds the parts still pending
    /// (distributed first) and the ephemerals still left (deleted by new parts). ZooKeeper deletes them
    /// all under one zxid; here readers may see the ephemerals go in steps.
    /// </summary>
    private async Task<List<(Txn Txn, CommitRequest Commit)>> SplitCloseAsync(WriteRequest request, Txn whole, RequestScope wholeScope, LockToken token, Dictionary<string, SystemNode?> overlay, CancellationToken ct)
    {
        long sessionId = request.SessionId;
        // The ephemerals the whole close deleted, in the order it found them (sorted by path).
        var doomed = whole.Changes.Where(c => c.Kind == NodeChangeKind.Delete).Select(c => c.Path).ToList();
        var result = new List<(Txn, CommitRequest)>();
        long zxid = whole.Zxid;
        int next = 0;
        // A stand-in for sizing: a last part (session deleted, pending entry, request marker) is the largest.
        var sizing = whole with { Changes = [new NodeChange(NodeChangeKind.Delete, "/", new Stat())] };
        while (true)
        {
            var chunk = new List<string>();
            var paths = new List<string>();
            var parents = new HashSet<string>(StringComparer.Ordinal);
            while (next < doomed.Count)
            {
                string path = doomed[next];
                string parent = ZkPath.Parent(path)!;
                paths.Add(path);
                bool newParent = parents.Add(parent);
                if (newParent)
                {
                    paths.Add(parent);
                }
                if (!_system.FitsOneCommit(new CommitRequest(token, paths, [], null, sessionId, sizing)))
                {
                    paths.RemoveAt(paths.Count - 1);
                    if (newParent)
                    {
                        paths.RemoveAt(paths.Count - 1);
                        parents.Remove(parent);
                    }
                    break;
                }
                chunk.Add(path);
                next++;
            }
            if (chunk.Count == 0)
            {
                throw new InvalidOperationException($"closeSession of {sessionId:x16}: not even one ephemeral fits a commit.");
            }
            bool last = next == doomed.Count;
            var scope = new RequestScope(this, token, overlay, [], wholeScope.LockedNodes);
            var changes = new List<NodeChange>();
            var triggers = new List<WatchTrigger>();
            foreach (string path in chunk)
            {
                if (await scope.GetAsync(path, ct).ConfigureAwait(false) is { } node && node.Stat.EphemeralOwner == sessionId)
                {
                    await RemoveNodeAsync(node, zxid, scope, changes, triggers, ct).ConfigureAwait(false);
                }
            }
            if (last)
            {
                scope.ClosedSession = sessionId;
            }
            var part = new Txn(zxid, whole.Time, sessionId, last ? request.ReplyTo : null, new WriteResult(ErrorCode.Ok, zxid), changes, triggers, last ? sessionId : 0);
            scope.MergeInto(overlay);
            result.Add((part, new CommitRequest(token, scope.LockedPaths, scope.Writes, null, scope.ClosedSession, part, last ? 0 : sessionId)));
            if (last)
            {
                return result;
            }
            zxid = await _system.IncrementCounterAsync(ZxidCounter, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One operation with ZooKeeper's check order (PrepRequestProcessor); stages its effects in the scope.</summary>
    private async Task<OpResult> ApplyAsync(long sessionId, CallerIdentity caller, WriteOperation operation, long zxid, long time, RequestScope scope, List<NodeChange> changes, List<WatchTrigger> triggers, CancellationToken ct)
    {
        switch (operation)
        {
            case CreateOperation create:
                return await CreateAsync(sessionId, caller, create, zxid, time, scope, changes, triggers, ct).ConfigureAwait(false);

            case DeleteOperation delete:
            {
                if (delete.Path.LastIndexOf('/') < 0 || delete.Path.Contains('\0') || ZkPath.IsReserved(delete.Path))
                {
                    return new OpResult(ErrorCode.BadArguments);
                }
                var parent = await scope.GetAsync(ZkPath.Parent(delete.Path)!, ct).ConfigureAwait(false);
                if (parent is null)
                {
                    return new OpResult(ErrorCode.NoNode);
                }
                if (!AclRules.Allows(parent.Acl, Perms.Delete, caller))
                {
                    return new OpResult(ErrorCode.NoAuth);
                }
                var node = await scope.GetAsync(delete.Path, ct).ConfigureAwait(false);
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
                await RemoveNodeAsync(node, zxid, scope, changes, triggers, ct).ConfigureAwait(false);
                return new OpResult(ErrorCode.Ok);
            }

            case SetDataOperation set:
            {
                if (!ZkPath.IsValid(set.Path))
                {
                    return new OpResult(ErrorCode.BadArguments);
                }
                var node = await scope.GetAsync(set.Path, ct).ConfigureAwait(false);
                if (node is null)
                {
                    return new OpResult(ErrorCode.NoNode);
                }
                if (!AclRules.Allows(node.Acl, Perms.Write, caller))
                {
                    return new OpResult(ErrorCode.NoAuth);
                }
                if (set.Version != -1 && set.Version != node.Stat.Version)
                {
                    return new OpResult(ErrorCode.BadVersion);
                }
                var updated = node with
                {
                    Stat = node.Stat with { Mzxid = zxid, Mtime = time, Version = NextVersion(node.Stat.Version), DataLength = set.Data?.Length ?? 0 },
                };
                scope.Put(updated);
                changes.Add(NodeChange.PutWithData(set.Path, VisibleStat(updated), set.Data));
                triggers.Add(new WatchTrigger(EventType.NodeDataChanged, set.Path, node.Acl));
                return new OpResult(ErrorCode.Ok, set.Path, VisibleStat(updated));
            }

            case CheckOperation check:
            {
                if (!ZkPath.IsValid(check.Path))
                {
                    return new OpResult(ErrorCode.BadArguments);
                }
                var node = await scope.GetAsync(check.Path, ct).ConfigureAwait(false);
                if (node is null)
                {
                    return new OpResult(ErrorCode.NoNode);
                }
                if (!AclRules.Allows(node.Acl, Perms.Read, caller))
                {
                    return new OpResult(ErrorCode.NoAuth);
                }
                return check.Version != -1 && check.Version != node.Stat.Version
                    ? new OpResult(ErrorCode.BadVersion)
                    : new OpResult(ErrorCode.Ok);
            }

            case SetAclOperation setAcl:
            {
                // PrepRequestProcessor: BadArguments → InvalidACL → NoNode → NoAuth (ADMIN) → BadVersion (aversion).
                if (!ZkPath.IsValid(setAcl.Path))
                {
                    return new OpResult(ErrorCode.BadArguments);
                }
                var acl = AclRules.Fixup(setAcl.Acl, caller);
                if (acl is null)
                {
                    return new OpResult(ErrorCode.InvalidAcl);
                }
                var node = await scope.GetAsync(setAcl.Path, ct).ConfigureAwait(false);
                if (node is null)
                {
                    return new OpResult(ErrorCode.NoNode);
                }
                if (!AclRules.Allows(node.Acl, Perms.Admin, caller))
                {
                    return new OpResult(ErrorCode.NoAuth);
                }
                if (setAcl.Version != -1 && setAcl.Version != node.Stat.Aversion)
                {
                    return new OpResult(ErrorCode.BadVersion);
                }
                // Only aversion changes (mzxid, mtime and version stay); setACL triggers no watches.
                var updated = node with { Stat = node.Stat with { Aversion = NextVersion(node.Stat.Aversion) }, Acl = acl };
                scope.Put(updated);
                var visible = VisibleStat(updated);
                changes.Add(new NodeChange(NodeChangeKind.Put, setAcl.Path, visible, null, acl));
                return new OpResult(ErrorCode.Ok, setAcl.Path, visible);
            }

            case InvalidOperation invalid:
                return new OpResult(invalid.Error);

            default:
                return new OpResult(ErrorCode.Unimplemented);
        }
    }

    private async Task<OpResult> CreateAsync(long sessionId, CallerIdentity caller, CreateOperation create, long zxid, long time, RequestScope scope, List<NodeChange> changes, List<WatchTrigger> triggers, CancellationToken ct)
    {
        string path = create.Path;
        if (create.Mode.IsTtl() && !_options.ExtendedTypesEnabled)
        {
            return new OpResult(ErrorCode.Unimplemented);
        }
        if (create.Mode.IsTtl() && (create.Ttl <= 0 || create.Ttl > MaxTtl))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash < 0 || path.Contains('\0'))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        var acl = AclRules.Fixup(create.Acl, caller);
        if (acl is null)
        {
            return new OpResult(ErrorCode.InvalidAcl);
        }
        string parentPath = lastSlash == 0 ? ZkPath.Root : path[..lastSlash];
        var parent = await scope.GetAsync(parentPath, ct).ConfigureAwait(false);
        if (parent is null)
        {
            return new OpResult(ErrorCode.NoNode);
        }
        if (!AclRules.Allows(parent.Acl, Perms.Create, caller))
        {
            return new OpResult(ErrorCode.NoAuth);
        }
        if (create.Mode.IsSequential())
        {
            path += SequenceSuffix(parent.Stat.Cversion);
        }
        if (!ZkPath.IsValid(path))
        {
            return new OpResult(ErrorCode.BadArguments);
        }
        if (await scope.GetAsync(path, ct).ConfigureAwait(false) is not null)
        {
            return new OpResult(ErrorCode.NodeExists);
        }
        // Only a session's ephemeral (owner > 0) refuses children; container and TTL markers are negative.
        if (parent.Stat.EphemeralOwner > 0)
        {
            return new OpResult(ErrorCode.NoChildrenForEphemerals);
        }

        long owner = create.IsContainer ? ContainerMarker : create.Mode switch
        {
            CreateMode.Ephemeral or CreateMode.EphemeralSequential => sessionId,
            CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl => TtlMarker(create.Ttl),
            _ => 0,
        };
        var node = new SystemNode(path, new Stat(zxid, zxid, time, time, 0, 0, 0, owner, create.Data?.Length ?? 0, 0, zxid), acl);
        var updatedParent = parent with
        {
            Stat = parent.Stat with { Cversion = parent.Stat.Cversion + 1, NumChildren = parent.Stat.NumChildren + 1, Pzxid = zxid },
        };
        scope.Put(node);
        scope.Put(updatedParent);
        var clientStat = VisibleStat(node);
        changes.Add(NodeChange.PutWithData(path, clientStat, create.Data, acl));
        changes.Add(new NodeChange(NodeChangeKind.Put, parentPath, VisibleStat(updatedParent)));
        triggers.Add(new WatchTrigger(EventType.NodeCreated, path, acl));
        triggers.Add(new WatchTrigger(EventType.NodeChildrenChanged, parentPath, parent.Acl));
        return new OpResult(ErrorCode.Ok, path, clientStat);
    }

    private static async Task RemoveNodeAsync(SystemNode node, long zxid, RequestScope scope, List<NodeChange> changes, List<WatchTrigger> triggers, CancellationToken ct)
    {
        string parentPath = ZkPath.Parent(node.Path)!;
        var parent = await scope.GetAsync(parentPath, ct).ConfigureAwait(false);
        scope.Delete(node.Path);
        changes.Add(new NodeChange(NodeChangeKind.Delete, node.Path, node.ClientStat));
        triggers.Add(new WatchTrigger(EventType.NodeDeleted, node.Path, node.Acl));
        if (parent is not null)
        {
            var updatedParent = parent with { Stat = parent.Stat with { NumChildren = parent.Stat.NumChildren - 1, Pzxid = zxid } };
            scope.Put(updatedParent);
            changes.Add(new NodeChange(NodeChangeKind.Put, parentPath, VisibleStat(updatedParent)));
            triggers.Add(new WatchTrigger(EventType.NodeChildrenChanged, parentPath, parent.Acl));
        }
    }

    /// <summary>
    /// deleteContainer, as PrepRequestProcessor checks it: NotEmpty if the node got a child since the
    /// reaper chose it, BadVersion if it is no container or TTL node. Unlike 3.8.0 a TTL node must also
    /// still be expired now (ZooKeeper deletes a TTL node changed between the scan and the delete), since
    /// here the request may wait in the writer queue behind other writes.
    /// </summary>
    private async Task<WriteResult> DeleteContainerAsync(DeleteContainerOperation reap, long zxid, long time, RequestScope scope, List<NodeChange> changes, List<WatchTrigger> triggers, CancellationToken ct)
    {
        if (!ZkPath.IsValid(reap.Path) || reap.Path == ZkPath.Root)
        {
            return new WriteResult(ErrorCode.BadArguments, zxid);
        }
        var node = await scope.GetAsync(reap.Path, ct).ConfigureAwait(false);
        if (node is null)
        {
            return new WriteResult(ErrorCode.NoNode, zxid);
        }
        if (node.Stat.NumChildren > 0)
        {
            return new WriteResult(ErrorCode.NotEmpty, zxid);
        }
        bool reapable = IsContainer(node.Stat.EphemeralOwner)
            || (TtlOf(node.Stat.EphemeralOwner) is { } ttl && time - node.Stat.Mtime > ttl);
        if (!reapable)
        {
            return new WriteResult(ErrorCode.BadVersion, zxid);
        }
        await RemoveNodeAsync(node, zxid, scope, changes, triggers, ct).ConfigureAwait(false);
        return new WriteResult(ErrorCode.Ok, zxid, new OpResult(ErrorCode.Ok));
    }

    /// <summary>TTL nodes' largest TTL: 2^40 − 1 ms (EphemeralType.TTL).</summary>
    private const long MaxTtl = (1L << 40) - 1;

    /// <summary>ZooKeeper's owner marker for containers (EphemeralType.CONTAINER_EPHEMERAL_OWNER).</summary>
    public const long ContainerMarker = long.MinValue;

    /// <summary>ZooKeeper marks TTL nodes with 0xFF in the owner's top byte plus the TTL.</summary>
    private static long TtlMarker(long ttl) => unchecked((long)0xFF00000000000000UL) | ttl;

    /// <summary>Whether a stored owner marks a container.</summary>
    public static bool IsContainer(long ephemeralOwner) => ephemeralOwner == ContainerMarker;

    /// <summary>The TTL a stored owner marks (top byte 0xFF, TTL in the low 40 bits), or null for any other node.</summary>
    public static long? TtlOf(long ephemeralOwner) =>
        (ulong)ephemeralOwner >> 56 == 0xFF && (ephemeralOwner & MaxTtl) is > 0 and var ttl ? ttl : null;

    /// <summary>What clients see: cversion derived from the creation counter; container/TTL markers hidden.</summary>
    public static Stat VisibleStat(SystemNode node)
    {
        var stat = node.ClientStat;
        return stat.EphemeralOwner < 0 ? stat with { EphemeralOwner = 0 } : stat;
    }

    /// <summary>setData's version + 1; ZOOKEEPER-4743: a wrap that would give -1 (the "any" version) gives 0.</summary>
    private static int NextVersion(int version)
    {
        int next = unchecked(version + 1);
        return next == -1 ? 0 : next;
    }

    /// <summary>Java's <c>String.format("%010d", counter)</c>: width 10 including a minus sign.</summary>
    public static string SequenceSuffix(int counter) =>
        counter >= 0 ? counter.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)
        : counter == int.MinValue ? "-2147483648"
        : "-" + (-counter).ToString("D9", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The state one request sees and stages: its own uncommitted writes over the batch's, over
    /// committed state read under the batch's lock token.
    /// </summary>
    private sealed class RequestScope(WriterFunction writer, LockToken token, Dictionary<string, SystemNode?> batchOverlay, HashSet<long> closedInBatch, IReadOnlyDictionary<string, SystemNode?>? lockedBefore = null)
    {
        private readonly Dictionary<string, SystemNode?> _local = new(StringComparer.Ordinal);
        private readonly List<string> _locked = [];

        /// <summary>
        /// Committed states read by this request's locks, or, for the parts of a split close, by the
        /// scope that staged the whole close first (same token: the locks are ours already, no second call).
        /// </summary>
        private readonly Dictionary<string, SystemNode?> _lockedNodes = lockedBefore is null ? new(StringComparer.Ordinal) : new(lockedBefore.ToDictionary(), StringComparer.Ordinal);

        /// <summary>What this scope's locks read (for the parts of a split close).</summary>
        public IReadOnlyDictionary<string, SystemNode?> LockedNodes => _lockedNodes;

        public bool ClosedEarlierInBatch(long sessionId) => closedInBatch.Contains(sessionId);

        public List<string> LockedPaths => _locked;

        public List<SystemNodeWrite> Writes { get; } = [];

        public SessionRecord? CreatedSession { get; set; }

        public long ClosedSession { get; set; }

        public async ValueTask<SystemNode?> GetAsync(string path, CancellationToken ct)
        {
            if (_local.TryGetValue(path, out var local))
            {
                return local;
            }
            var committed = await LockAsync(path, ct).ConfigureAwait(false);
            return batchOverlay.TryGetValue(path, out var staged) ? staged : committed;
        }

        /// <summary>
        /// Locks the path (once per request) and returns its committed state, which the lock call reads in
        /// the same step (one storage round trip: on DynamoDB, one conditional UpdateItem).
        /// </summary>
        private async ValueTask<SystemNode?> LockAsync(string path, CancellationToken ct)
        {
            if (_lockedNodes.TryGetValue(path, out var known))
            {
                if (!_locked.Contains(path))
                {
                    // Locked by the scope this one continues (a part of a split close): this part's
                    // commit depends on the lock, and releases it if it is the last to hold it.
                    _locked.Add(path);
                }
                return known;
            }
            var delay = TimeSpan.FromMilliseconds(1);
            LockResult result;
            while (!(result = await writer._system.TryLockAsync(path, token, LockLease, ct).ConfigureAwait(false)).Acquired)
            {
                // Another writer holds it (several writer instances, or a crashed one whose lease has
                // not lapsed yet): back off.
                await Task.Delay(delay, ct).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
            }
            _locked.Add(path);
            _lockedNodes[path] = result.Node;
            return result.Node;
        }

        public void Put(SystemNode node) => _local[node.Path] = node;

        public void Delete(string path) => _local[path] = null;

        public void DiscardWrites() => _local.Clear();

        /// <summary>The writes this request would commit, without merging them into the batch.</summary>
        public List<SystemNodeWrite> StagedWrites() => [.. _local.Select(kv => new SystemNodeWrite(kv.Key, kv.Value))];

        public void MergeInto(Dictionary<string, SystemNode?> overlay)
        {
            foreach (var (path, node) in _local)
            {
                overlay[path] = node;
                Writes.Add(new SystemNodeWrite(path, node));
            }
        }
    }
}
