using System.Collections.Concurrent;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.InProcess;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Watches;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>
/// <see cref="IZkBackend"/> over the FaaSKeeper pipeline. Writes go to the writer queue and come back
/// through this gateway's inbox (<see cref="IGatewayChannel"/>); reads go straight to user storage.
/// It also keeps the session leases of the sessions this gateway serves and runs the heartbeat that
/// expires lapsed sessions through the write path.
/// <para>
/// <see cref="StartInProcessAsync"/> hosts the writer and distributor functions in this process (the
/// embedded provider set assembles it: EmbeddedDeployment); <see cref="StartRemote"/> is the gateway
/// side of a deployment whose functions run elsewhere.
/// </para>
/// </summary>
public sealed partial class FaaSBackend : IZkBackend, IGatewayChannel
{
    private readonly BackendOptions _options;
    private readonly ISystemStorage _system;
    private readonly IUserStorage _user;
    private readonly IWatchStorage _watches;
    private readonly IWatchInterest _interest;
    private readonly IOrderedQueue<WriteRequest> _writerQueue;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, InflightWrite> _inflight = new();
    private readonly ConcurrentDictionary<long, LocalLease> _leases = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private readonly List<IDisposable> _owned = [];
    private long _nextRequestId;
    private long _nextSessionId;
    private INotificationSink _sink = null!;

    /// <summary>
    /// Embedded: replies the distributor has ordered but not completed yet. The distributor sends them
    /// inside user storage's apply step (under its write lock), so their waiters' continuations must not
    /// run there; <see cref="CompleteDeferredReplies"/> completes them right after that step, on the
    /// distributor's thread, with the continuations inline (filling the reply slot) instead of one
    /// thread-pool hop per write. Null (AWS): each reply completes at once, continuations on the pool.
    /// </summary>
    private List<(InflightWrite Write, WriteResult Result)>? _deferredReplies;

    /// <summary>
    /// A write waiting for its reply. <see cref="FromClient"/>: submitted for the session's client (its
    /// connection holds a reply slot for it), as opposed to the gateway's own closes and session creations.
    /// </summary>
    private sealed class InflightWrite(long sessionId, bool fromClient, TaskCreationOptions options) : TaskCompletionSource<WriteResult>(options)
    {
        public long SessionId { get; } = sessionId;

        public bool FromClient { get; } = fromClient;
    }

    /// <summary>
    /// A session this gateway serves: its deadline, moved by every packet of its client. With a shared
    /// lease store, <see cref="StoredExpiresAt"/> is the deadline last written there (kept at or after
    /// <see cref="ExpiresAt"/>, see FaaSBackend.Sessions).
    /// </summary>
    private sealed class LocalLease(int timeoutMs, long expiresAt)
    {
        public int TimeoutMs = timeoutMs;
        public long ExpiresAt = expiresAt;
        public long StoredExpiresAt;
        public bool Closing;
    }

    private FaaSBackend(BackendOptions options, ISystemStorage system, IUserStorage user, IWatchStorage watches, IWatchInterest interest, IOrderedQueue<WriteRequest> writerQueue, TimeProvider time)
    {
        _options = options;
        _system = system;
        _user = user;
        _watches = watches;
        _interest = interest;
        _writerQueue = writerQueue;
        _time = time;
        // ZooKeeper's scheme (SessionTrackerImpl.initializeNextSessionId): time in the middle bits, server id on top.
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        _nextSessionId = ((now << 24) >>> 8) | ((long)options.ServerId << 56);
    }

    /// <summary>
    /// The functions hosted in this process (the embedded deployment): the writer consumes
    /// <paramref name="providers"/>' writer queue on a worker of its own, and the distributor runs on the
    /// writer's thread right after each commit (no queue in between), replying and firing watches through
    /// this backend directly. Storage must already be bootstrapped and recovered (see EmbeddedDeployment).
    /// </summary>
    public static async Task<FaaSBackend> StartInProcessAsync(BackendOptions options, INotificationSink sink, InProcessProviders providers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(providers);
        time ??= TimeProvider.System;
        var system = providers.System;
        var backend = new FaaSBackend(options, system, providers.User, new InMemoryWatchStorage(), EveryTriggerInterest.Instance, providers.WriterQueue, time);
        backend._owned.AddRange(providers.Owned);

        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var session in await system.ListSessionsAsync().ConfigureAwait(false))
        {
            backend._leases[session.SessionId] = new LocalLease(session.TimeoutMs, backend.Deadline(now, session.TimeoutMs));
        }

        backend._deferredReplies = [];
        var distributor = new DistributorFunction(providers.User, system, new InProcessOutbox(backend._watches, sink, backend, backend.CompleteDeferredReplies));
        var distributorQueue = new InlineQueue<Txn>(distributor.HandleBatchAsync);
        var writer = new WriterFunction(system, distributorQueue, time, options);
        backend._sink = sink;
        backend._workers.Add(Task.Run(async () =>
        {
            await writer.RunAsync(providers.WriterQueue, CancellationToken.None).ConfigureAwait(false);
            distributorQueue.Complete();
        }));
        backend._workers.Add(Task.Run(() => backend.HeartbeatAsync(backend._stopping.Token)));
        var reaper = new ReaperFunction(system, providers.NodeTypes, (op, ct) => backend.Submit(0, op, null, fromClient: false, ct), time, options);
        backend._workers.Add(Task.Run(() => reaper.RunAsync(backend._stopping.Token)));
        return backend;
    }

    /// <summary>How long a read of the zxid counter or of mntr's counts serves (cloud storage: each read is billed).</summary>
    private static readonly TimeSpan StatisticsMaxAge = TimeSpan.FromSeconds(1);

    private long _zxidCounter;
    private long _zxidCounterReadAt = long.MinValue / 2;
    private (BackendStatistics Value, long ReadAt)? _statistics;

    /// <summary>
    /// The zxid counter, read at most once per <see cref="StatisticsMaxAge"/> (it was one blocking read
    /// per ConnectRequest), and never below what this gateway has seen applied. A value up to a second
    /// old may be below a zxid a client saw through another gateway: the handshake then asks
    /// <see cref="ReadLastZxidAsync"/> before refusing it.
    /// </summary>
    public long LastZxid
    {
        get
        {
            // Embedded: the counter is in memory, always read. AWS: at most once a second.
            if (!_options.DirectReads || _time.GetTimestamp() - Volatile.Read(ref _zxidCounterReadAt) > StatisticsMaxAge.TotalSeconds * _time.TimestampFrequency)
            {
                return ReadLastZxidAsync().AsTask().GetAwaiter().GetResult();
            }
            return Math.Max(Volatile.Read(ref _zxidCounter), _user.AppliedZxid);
        }
    }

    /// <summary>Reads the zxid counter now (and refreshes the cached value).</summary>
    public async ValueTask<long> ReadLastZxidAsync(CancellationToken cancellationToken = default)
    {
        long value = await _system.ReadCounterAsync(WriterFunction.ZxidCounter, cancellationToken).ConfigureAwait(false);
        long current;
        while (value > (current = Volatile.Read(ref _zxidCounter)) && Interlocked.CompareExchange(ref _zxidCounter, value, current) != current)
        {
        }
        Volatile.Write(ref _zxidCounterReadAt, _time.GetTimestamp());
        return Math.Max(Volatile.Read(ref _zxidCounter), _user.AppliedZxid);
    }

    public long LastAppliedZxid => _user.AppliedZxid;

    /// <summary>
    /// mntr's counts. Where system storage keeps them (AWS: one item the distributor updates) they are
    /// read from there, at most once a second; otherwise user storage counts nodes and system storage
    /// ephemerals (embedded: in memory).
    /// </summary>
    public async ValueTask<BackendStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        BackendStatistics statistics;
        if (_statistics is { } cached && _time.GetElapsedTime(cached.ReadAt) < StatisticsMaxAge)
        {
            statistics = cached.Value;
        }
        else if (await _system.ReadTreeStatisticsAsync(cancellationToken).ConfigureAwait(false) is { } tree)
        {
            statistics = new BackendStatistics((int)Math.Min(int.MaxValue, tree.Nodes), tree.ApproximateDataSize, (int)Math.Min(int.MaxValue, tree.Ephemerals), 0);
            // Cached where reading costs a cloud call; embedded counts are exact and free.
            _statistics = (statistics, _time.GetTimestamp());
        }
        else
        {
            int ephemerals = await _system.CountEphemeralsAsync(cancellationToken).ConfigureAwait(false);
            statistics = new BackendStatistics(_user.NodeCount, _user.ApproximateDataSize, ephemerals, 0);
        }
        // The cost meter's snapshot last: the counts' own read (if any) is in it.
        return statistics with
        {
            SessionCount = _leases.Count,
            MonitorValues = Metering.CostMeter.Enabled || _options.DirectReads ? [.. Metering.CostMeter.Enabled ? Metering.CostMeter.Shared.MonitorValues() : [], .. EpochMonitorValues()] : null,
        };
    }

    // ---- writes and the inbox ----------------------------------------------------------------

    public Task<WriteResult> SubmitAsync(long sessionId, WriteOperation operation, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        Submit(sessionId, operation, caller, fromClient: true, cancellationToken);

    private Task<WriteResult> Submit(long sessionId, WriteOperation operation, CallerIdentity? caller, bool fromClient, CancellationToken cancellationToken)
    {
        using var charge = Metering.CostMeter.Begin(Metering.CostMeter.NameOf(operation));
        long requestId = Interlocked.Increment(ref _nextRequestId);
        var completion = new InflightWrite(sessionId, fromClient, _deferredReplies is null ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);
        _inflight[requestId] = completion;
        var send = _writerQueue.SendAsync(new WriteRequest(sessionId, operation, new ReplyAddress(_options.GatewayId, requestId), caller ?? CallerIdentity.Anonymous), cancellationToken);
        if (!send.IsCompletedSuccessfully)
        {
            return AwaitSend(send, completion);
        }
        return completion.Task;

        static async Task<WriteResult> AwaitSend(ValueTask send, InflightWrite completion)
        {
            await send.ConfigureAwait(false);
            return await completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>The inbox: a function's reply to one of this gateway's requests.</summary>
    public void SendReply(ReplyAddress address, WriteResult result)
    {
        if (_inflight.TryRemove(address.RequestId, out var completion))
        {
            if (completion.FromClient)
            {
                _sink.WriteOrdered(completion.SessionId, result.Zxid);
            }
            if (_deferredReplies is { } deferred)
            {
                lock (deferred)
                {
                    deferred.Add((completion, result));
                }
                return;
            }
            completion.TrySetResult(result);
        }
    }

    /// <summary>Completes the replies <see cref="SendReply"/> deferred, in order (embedded; see <see cref="_deferredReplies"/>).</summary>
    private void CompleteDeferredReplies()
    {
        var deferred = _deferredReplies!;
        (InflightWrite Write, WriteResult Result)[] ready;
        lock (deferred)
        {
            if (deferred.Count == 0)
            {
                return;
            }
            // A copy: a continuation that submits again never touches the list being completed.
            ready = [.. deferred];
            deferred.Clear();
        }
        foreach (var (write, result) in ready)
        {
            write.TrySetResult(result);
        }
    }

    // ---- reads ---------------------------------------------------------------------------------

    public ValueTask<ReadResult<Stat>> ExistsAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default)
    {
        if (path.Contains('\0'))
        {
            return ValueTask.FromResult(ReadResult<Stat>.Fail(ErrorCode.BadArguments, _user.AppliedZxid));
        }
        // ZooKeeper 3.8.0 checks no ACL on exists (later versions check READ on an existing node);
        // the caller is taken for that, and unused, as in 3.8.0.
        _ = caller;
        return WatchedReadAsync(path, watcher, WatchKind.Data, (Backend: this, Path: path, Watcher: watcher), static (node, zxid, s) =>
        {
            if (s.Watcher is { } w)
            {
                s.Backend._watches.Register(s.Path, node is null ? WatchKind.Exist : WatchKind.Data, w, node?.Stat.Mzxid ?? 0);
            }
            return node is null ? ReadResult<Stat>.Fail(ErrorCode.NoNode, zxid) : ReadResult<Stat>.Ok(node.Stat, zxid);
        }, cancellationToken);
    }

    // The hot reads pass their state to a static lambda: no closure per read.
    public ValueTask<ReadResult<NodeData>> GetDataAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        WatchedReadAsync(path, watcher, WatchKind.Data, (Backend: this, Path: path, Watcher: watcher, Caller: caller), static (node, zxid, s) =>
        {
            if (node is null)
            {
                return ReadResult<NodeData>.Fail(ErrorCode.NoNode, zxid);
            }
            if (!AclRules.Allows(node.Acl, Perms.Read, s.Caller ?? CallerIdentity.Anonymous))
            {
                return ReadResult<NodeData>.Fail(ErrorCode.NoAuth, zxid);
            }
            if (s.Watcher is { } w)
            {
                s.Backend._watches.Register(s.Path, WatchKind.Data, w, node.Stat.Mzxid);
            }
            return ReadResult<NodeData>.Ok(new NodeData(node.Data, node.Stat), zxid);
        }, cancellationToken);

    public ValueTask<ReadResult<ChildList>> GetChildrenAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        WatchedReadAsync(path, watcher, WatchKind.Child, (Backend: this, Path: path, Watcher: watcher, Caller: caller), static (node, zxid, s) =>
        {
            if (node is null)
            {
                return ReadResult<ChildList>.Fail(ErrorCode.NoNode, zxid);
            }
            if (!AclRules.Allows(node.Acl, Perms.Read, s.Caller ?? CallerIdentity.Anonymous))
            {
                return ReadResult<ChildList>.Fail(ErrorCode.NoAuth, zxid);
            }
            if (s.Watcher is { } w)
            {
                s.Backend._watches.Register(s.Path, WatchKind.Child, w, node.Stat.Pzxid);
            }
            return ReadResult<ChildList>.Ok(new ChildList([.. node.Children], node.Stat), zxid);
        }, cancellationToken);

    /// <summary>
    /// A read that may set a watch. With a watcher, the gateway's interest in the path is recorded
    /// before the read (so no trigger after the read can be missed; one the read already reflects is
    /// ignored thanks to the observed zxid). Where reads go straight to cloud storage, watch event
    /// before data is the gateway's job: it first waits for the triggers the node's epoch stamp says
    /// are on their way to its inbox (other paths' events), then fires the watcher's own watches on
    /// the path that the read shows to be out of date (as FaaSKeeper's client does).
    /// </summary>
    private ValueTask<T> WatchedReadAsync<T>(string path, long? watcher, WatchKind kind, Func<UserNode?, long, T> read, CancellationToken cancellationToken, [System.Runtime.CompilerServices.CallerMemberName] string operation = "") =>
        WatchedReadAsync(path, watcher, kind, read, static (node, zxid, read) => read(node, zxid), cancellationToken, operation);

    /// <inheritdoc cref="WatchedReadAsync{T}"/>
    private async ValueTask<T> WatchedReadAsync<TState, T>(string path, long? watcher, WatchKind kind, TState state, Func<UserNode?, long, TState, T> read, CancellationToken cancellationToken, [System.Runtime.CompilerServices.CallerMemberName] string operation = "")
    {
        using var charge = Metering.CostMeter.Begin(ReadName(operation));
        if (watcher is not null)
        {
            await _interest.AddAsync(path, kind, cancellationToken).ConfigureAwait(false);
        }
        if (!_options.DirectReads)
        {
            return await _user.ReadAsync(path, state, read, cancellationToken).ConfigureAwait(false);
        }
        // Remote storage has no lock to hold the read under: the node is answered from what was read.
        var (node, zxid) = await _user.ReadAsync(path, static (n, z) => (n, z), cancellationToken).ConfigureAwait(false);
        if (node is not null)
        {
            await AwaitEpochAsync(node.Epoch, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await AwaitRoutedAsync(cancellationToken).ConfigureAwait(false);
        }
        FireStaleWatches(path, node);
        return read(node, zxid, state);
    }

    public ValueTask<ReadResult<NodeAcl>> GetAclAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
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
        }, cancellationToken);

    /// <summary>ZooKeeper's name of the read a backend method serves (ExistsAsync → exists), for charging.</summary>
    private static string ReadName(string member) => member switch
    {
        nameof(ExistsAsync) => "exists",
        nameof(GetDataAsync) => "getData",
        nameof(GetChildrenAsync) => "getChildren",
        nameof(AddWatchAsync) => "addWatch",
        nameof(GetAclAsync) => "getACL",
        nameof(ReplayWatchAsync) => "setWatches",
        _ => member,
    };

    /// <summary>
    /// Fires the one-shot watches on <paramref name="path"/> that a direct read shows to be out of date:
    /// a data watch set before the node's last change (NodeDataChanged), or before it was deleted
    /// (NodeDeleted; registered against an existing node, so its zxid is above 0); an exists watch on a
    /// missing node that now exists (NodeCreated); a child watch set before the last change of the
    /// children (NodeChildrenChanged) or before the deletion. Persistent watches are left to the inbox.
    /// </summary>
    private void FireStaleWatches(string path, UserNode? node)
    {
        if (node is null)
        {
            foreach (var (watcher, _) in _watches.TakeStale(path, WatcherType.Data, registeredAt => registeredAt > 0))
            {
                _sink.Deliver(watcher, new WatchEvent(EventType.NodeDeleted, path, _user.AppliedZxid));
            }
            foreach (var (watcher, _) in _watches.TakeStale(path, WatcherType.Children, registeredAt => registeredAt > 0))
            {
                _sink.Deliver(watcher, new WatchEvent(EventType.NodeDeleted, path, _user.AppliedZxid));
            }
            return;
        }
        foreach (var (watcher, registeredAt) in _watches.TakeStale(path, WatcherType.Data, registeredAt => registeredAt < node.Stat.Mzxid))
        {
            var type = registeredAt == 0 ? EventType.NodeCreated : EventType.NodeDataChanged;
            _sink.Deliver(watcher, new WatchEvent(type, path, node.Stat.Mzxid, node.Acl));
        }
        foreach (var (watcher, _) in _watches.TakeStale(path, WatcherType.Children, registeredAt => registeredAt > 0 && registeredAt < node.Stat.Pzxid))
        {
            _sink.Deliver(watcher, new WatchEvent(EventType.NodeChildrenChanged, path, node.Stat.Pzxid, node.Acl));
        }
    }

    public async ValueTask<ReadResult<int>> GetAllChildrenNumberAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default)
    {
        using var charge = Metering.CostMeter.Begin("getAllChildrenNumber");
        // FinalRequestProcessor: NoNode, then READ on the node, then the count.
        var allowed = await _user.ReadAsync(path, (node, zxid) => node is null
            ? ReadResult<int>.Fail(ErrorCode.NoNode, zxid)
            : AclRules.Allows(node.Acl, Perms.Read, caller ?? CallerIdentity.Anonymous) ? ReadResult<int>.Ok(0, zxid) : ReadResult<int>.Fail(ErrorCode.NoAuth, zxid), cancellationToken).ConfigureAwait(false);
        if (!allowed.IsOk)
        {
            return allowed;
        }
        int count = await _user.CountDescendantsAsync(path, cancellationToken).ConfigureAwait(false);
        return count < 0 ? ReadResult<int>.Fail(ErrorCode.NoNode, _user.AppliedZxid) : ReadResult<int>.Ok(count, _user.AppliedZxid);
    }

    public async ValueTask<ReadResult<IReadOnlyList<string>>> GetEphemeralsAsync(long sessionId, string prefix, CancellationToken cancellationToken = default)
    {
        using var charge = Metering.CostMeter.Begin("getEphemerals");
        var all = await _system.GetEphemeralsAsync(sessionId, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> matching = prefix is "" or "/" ? all : [.. all.Where(p => p.StartsWith(prefix, StringComparison.Ordinal))];
        return ReadResult<IReadOnlyList<string>>.Ok(matching, _user.AppliedZxid);
    }

    // ---- watches -------------------------------------------------------------------------------

    public async ValueTask SetWatchesAsync(long watcher, long relativeZxid, IReadOnlyList<string> dataWatches, IReadOnlyList<string> existWatches, IReadOnlyList<string> childWatches, IReadOnlyList<string>? persistentWatches = null, IReadOnlyList<string>? persistentRecursiveWatches = null, CancellationToken cancellationToken = default)
    {
        // Persistent watches are registered again, nothing is synthesized for them (DataTree.setWatches).
        foreach (string path in persistentWatches ?? [])
        {
            await AddWatchAsync(path, AddWatchMode.Persistent, watcher, cancellationToken).ConfigureAwait(false);
        }
        foreach (string path in persistentRecursiveWatches ?? [])
        {
            await AddWatchAsync(path, AddWatchMode.PersistentRecursive, watcher, cancellationToken).ConfigureAwait(false);
        }
        // DataTree.setWatches: fire what changed after relativeZxid now (zxid -1), register the rest.
        foreach (string path in dataWatches)
        {
            await ReplayWatchAsync(watcher, path, WatchKind.Data, node =>
                node is null ? EventType.NodeDeleted : node.Stat.Mzxid > relativeZxid ? EventType.NodeDataChanged : null, cancellationToken).ConfigureAwait(false);
        }
        foreach (string path in existWatches)
        {
            await ReplayWatchAsync(watcher, path, WatchKind.Exist, node =>
                node is not null ? EventType.NodeCreated : null, cancellationToken).ConfigureAwait(false);
        }
        foreach (string path in childWatches)
        {
            await ReplayWatchAsync(watcher, path, WatchKind.Child, node =>
                node is null ? EventType.NodeDeleted : node.Stat.Pzxid > relativeZxid ? EventType.NodeChildrenChanged : null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One watch of a SetWatches: the event it missed (delivered now), or a fresh registration.</summary>
    private ValueTask<bool> ReplayWatchAsync(long watcher, string path, WatchKind kind, Func<UserNode?, EventType?> missed, CancellationToken cancellationToken) =>
        WatchedReadAsync(path, watcher, kind, (node, _) =>
        {
            if (missed(node) is { } type)
            {
                _sink.Deliver(watcher, new WatchEvent(type, path, -1));
            }
            else
            {
                _watches.Register(path, kind, watcher, kind == WatchKind.Child ? node?.Stat.Pzxid ?? 0 : node?.Stat.Mzxid ?? 0);
            }
            return true;
        }, cancellationToken);

    public ValueTask<long> AddWatchAsync(string path, AddWatchMode mode, long watcher, CancellationToken cancellationToken = default) =>
        // Registered inside a read, so the watch sees every transaction applied after its reply's zxid.
        WatchedReadAsync(path, watcher, mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent, (node, zxid) =>
        {
            long observed = node is null ? 0 : Math.Max(node.Stat.Mzxid, node.Stat.Pzxid);
            _watches.Register(path, mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent, watcher, observed);
            return zxid;
        }, cancellationToken);

    public bool CheckWatches(string path, WatcherType type) => _watches.Contains(path, type);

    public bool RemoveWatches(string path, WatcherType type, long watcher) => _watches.Remove(path, type, watcher);

    public void RemoveWatcher(long watcher) => _watches.RemoveWatcher(watcher);

    public (int Watches, int Paths) WatchCounts() => _watches.Counts();

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _writerQueue.Complete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // Shutting down: the heartbeat ends with a cancellation.
        }
        foreach (var pending in _inflight.Values)
        {
            pending.TrySetCanceled();
        }
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
        if (_leaseStore is not null)
        {
            try
            {
                // Stopping: the heartbeat function takes over this gateway's sessions at their deadlines.
                await _leaseStore.RenewGatewayAsync(_options.GatewayId, 0).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Its liveness lapses by itself within three ticks.
            }
        }
        if (_remoteOwner is not null)
        {
            await _remoteOwner.DisposeAsync().ConfigureAwait(false);
        }
        _stopping.Dispose();
    }
}
