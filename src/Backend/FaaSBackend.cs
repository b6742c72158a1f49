using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Quotas;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Gateway;
using ZkGateway.Backend.InProcess;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Watches;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>
/// <see cref="IZkBackend"/> over the FaaSKeeper pipeline: the gateway's half of the backend. Writes go
/// to the writer queue and come back as replies (<see cref="InflightWrites"/>); reads go straight to
/// user storage (<see cref="ReadPath"/>, <see cref="WatchRequests"/>); the sessions this gateway
/// serves keep leases that its heartbeat expires through the write path (<see cref="SessionLeases"/>,
/// <see cref="SessionHeartbeat"/>); the four-letter words' counts come from <see cref="StatisticsCache"/>.
/// <para>
/// The deployment is chosen by the start method. <see cref="StartInProcessAsync"/> hosts the writer
/// and distributor in this process (the embedded provider set assembles it: EmbeddedDeployment);
/// <see cref="StartRemote"/> is the gateway side of a deployment whose functions run elsewhere: its
/// replies and watch triggers arrive through its inbox (<see cref="InboxLoop"/>), and its reads go to
/// cloud storage and wait for the inbox where watch event before data needs it (<see cref="InboxProgress"/>).
/// </para>
/// </summary>
public sealed class FaaSBackend : IZkBackend
{
    private readonly IUserStorage _user;
    private readonly IOrderedQueue<WriteRequest> _writerQueue;
    private readonly InflightWrites _writes;
    private readonly SessionLeases _sessions;
    private readonly SessionHeartbeat _heartbeat;
    private readonly InboxDemand? _inboxDemand;
    private readonly ReadPath _reads;
    private readonly WatchRequests _watches;
    private readonly StatisticsCache _statistics;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private readonly IReadOnlyList<IDisposable> _owned;
    private readonly IAsyncDisposable? _remoteOwner;

    /// <summary>
    /// The parts of the gateway's half. Without <c>inbox</c> the functions run in this process
    /// (replies deferred to the distributor's thread, counted session ids, in-memory counters); with it
    /// they run elsewhere (replies through the inbox, random session ids, counters cached).
    /// </summary>
    private FaaSBackend(
        BackendOptions options,
        ISystemStorage system,
        IUserStorage user,
        IWatchStorage watches,
        IWatchInterest interest,
        IOrderedQueue<WriteRequest> writerQueue,
        INotificationSink sink,
        TimeProvider time,
        InboxProgress? inbox,
        ISessionLeaseStore? leaseStore,
        IReadOnlyList<IDisposable> owned,
        IAsyncDisposable? remoteOwner,
        ILogger logger,
        bool hostsWriter = false)
    {
        bool inProcess = inbox is null;
        _user = user;
        _writerQueue = writerQueue;
        _owned = owned;
        _remoteOwner = remoteOwner;
        // With an inbox: it is polled only while a reply, a trigger or a session's end can come. A
        // distributor in this process replies inside its apply step: the replies wait for its flush.
        if (!inProcess)
        {
            var registry = watches;
            _inboxDemand = new InboxDemand(() => _writes!.Count > 0 || _sessions!.Count > 0 || !registry.IsEmpty);
            watches = new SignallingWatchStorage(registry, _inboxDemand);
        }
        _writes = new InflightWrites(writerQueue, options.GatewayId, sink, deferReplies: inProcess || hostsWriter, _inboxDemand);
        var ids = inProcess ? SessionIds.Sequential(options.ServerId, time) : SessionIds.Random();
        var liveness = leaseStore is null ? null : new GatewayLiveness(options, leaseStore, time, logger);
        _sessions = new SessionLeases(options, system, leaseStore, liveness, _writes, ids, time, _inboxDemand);
        _heartbeat = new SessionHeartbeat(options, _sessions, leaseStore, liveness, time, logger);
        _reads = new ReadPath(user, system, interest, watches, sink, inbox);
        _watches = new WatchRequests(_reads, watches, sink);
        _statistics = new StatisticsCache(system, user, _sessions, inbox, time, inProcess ? TimeSpan.Zero : StatisticsCache.CloudMaxAge);
        OnlineBackup = system.OnlineBackup;
    }

    /// <inheritdoc />
    public IOnlineBackup? OnlineBackup { get; }

    /// <summary>
    /// The functions hosted in this process (the embedded deployment): the writer consumes
    /// <paramref name="providers"/>' writer queue on a worker of its own, and the distributor runs on the
    /// writer's thread right after each commit (no queue in between), replying and firing watches through
    /// this backend directly. Storage must already be bootstrapped and recovered (see EmbeddedDeployment).
    /// </summary>
    public static async Task<FaaSBackend> StartInProcessAsync(BackendOptions options, INotificationSink sink, InProcessProviders providers, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<FaaSBackend>();
        time ??= TimeProvider.System;
        var system = providers.System;
        var watches = new InMemoryWatchStorage();
        var backend = new FaaSBackend(options, system, providers.User, watches, EveryTriggerInterest.Instance, providers.WriterQueue, sink, time, inbox: null, leaseStore: null, providers.Owned, remoteOwner: null, logger);
        foreach (var session in await system.ListSessionsAsync().ConfigureAwait(false))
        {
            backend._sessions.Serve(session.SessionId, session.TimeoutMs);
        }

        var writes = backend._writes;
        var distributor = new DistributorFunction(providers.User, system, new InProcessOutbox(watches, sink, writes, writes.CompleteDeferred));
        var distributorQueue = new InlineQueue<Txn>(distributor.HandleBatchAsync);
        var writer = new WriterFunction(system, distributorQueue, time, options, QuotaGuard.For(options, providers.User, loggers, time));
        backend._workers.Add(Task.Run(async () =>
        {
            // The in-process queue never redelivers: a batch the store refused fails its writes (the
            // store has logged why), and the writer goes on; the store decides whether the next can succeed.
            await writer.RunAsync(providers.WriterQueue, CancellationToken.None, (batch, e) =>
            {
                foreach (var request in batch)
                {
                    writes.Fail(request.ReplyTo, e);
                }
            }).ConfigureAwait(false);
            distributorQueue.Complete();
        }));
        backend._workers.Add(Task.Run(() => backend._heartbeat.RunAsync(backend._stopping.Token)));
        var reaper = new ReaperFunction(system, providers.NodeTypes, (op, ct) => writes.Submit(0, op, null, fromClient: false, ct), time, options, logger);
        backend._workers.Add(Task.Run(() => reaper.RunAsync(backend._stopping.Token)));
        return backend;
    }

    /// <summary>
    /// A gateway on remote functions: reads go straight to user storage (so out-of-date watches are
    /// fired before answering), writes go to the writer queue, and replies, watch triggers and session
    /// ends arrive in this gateway's inbox, where they are matched against its own watch registry.
    /// </summary>
    public static FaaSBackend StartRemote(BackendOptions options, INotificationSink sink, RemoteGatewayProviders providers, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<FaaSBackend>();
        var watches = new InMemoryWatchStorage();
        // Epoch stamps naming this gateway up to what is applied now are satisfied (see InboxProgress).
        var inbox = new InboxProgress(options.GatewayId, options.EpochWaitMs, watches, providers.Interest.Registrations, providers.LastRoutedTrigger, handled: providers.User.AppliedZxid, logger);
        var backend = new FaaSBackend(options, providers.System, providers.User, watches, providers.Interest, providers.WriterQueue, sink, time ?? TimeProvider.System, inbox, providers.Leases, [], providers.Owner, logger);
        var loop = new InboxLoop(options, providers.Inbox, providers.User, watches, sink, backend._writes, backend._sessions, inbox, backend._inboxDemand!, logger);
        backend._workers.Add(Task.Run(() => loop.RunAsync(backend._stopping.Token)));
        backend._workers.Add(Task.Run(() => backend._heartbeat.RunAsync(backend._stopping.Token)));
        return backend;
    }

    /// <summary>
    /// A gateway that hosts the writer and distributor itself over cloud storage (the AWS gateway write
    /// path): writes go to an in-process queue that <paramref name="runWriter"/> consumes, handing this
    /// gateway's replies, watch events and session ends back through the local outbox it is given
    /// (in-process, inside the apply step, as embedded), and stops when that queue completes (the token it
    /// gets fires when the backend stops, for what else it runs); everything else is as with
    /// <see cref="StartRemote"/>: reads from cloud storage, triggers of other gateways' writes through
    /// the inbox, leases in the shared store.
    /// <para>
    /// With <paramref name="nodeTypes"/> this gateway also runs the reaper (no function does on this
    /// path): its deleteContainer requests go to this gateway's own writer, as embedded, and it waits
    /// for each one's result, so its rate limit holds for this gateway (every gateway reaps).
    /// </para>
    /// </summary>
    public static FaaSBackend StartHosted(BackendOptions options, INotificationSink sink, RemoteGatewayProviders providers, Func<IGatewayOutbox, CancellationToken, Task> runWriter, TimeProvider? time = null, ILoggerFactory? loggers = null, INodeTypeIndex? nodeTypes = null)
    {
        ArgumentNullException.ThrowIfNull(providers);
        ArgumentNullException.ThrowIfNull(runWriter);
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<FaaSBackend>();
        var watches = new InMemoryWatchStorage();
        var inbox = new InboxProgress(options.GatewayId, options.EpochWaitMs, watches, providers.Interest.Registrations, providers.LastRoutedTrigger, handled: providers.User.AppliedZxid, logger);
        var backend = new FaaSBackend(options, providers.System, providers.User, watches, providers.Interest, providers.WriterQueue, sink, time ?? TimeProvider.System, inbox, providers.Leases, [], providers.Owner, logger, hostsWriter: true);
        var writes = backend._writes;
        var local = new InProcessOutbox(watches, sink, writes, writes.CompleteDeferred);
        var loop = new InboxLoop(options, providers.Inbox, providers.User, watches, sink, writes, backend._sessions, inbox, backend._inboxDemand!, logger);
        backend._workers.Add(Task.Run(() => runWriter(local, backend._stopping.Token)));
        backend._workers.Add(Task.Run(() => loop.RunAsync(backend._stopping.Token)));
        backend._workers.Add(Task.Run(() => backend._heartbeat.RunAsync(backend._stopping.Token)));
        if (nodeTypes is not null)
        {
            var reaper = new ReaperFunction(providers.System, nodeTypes, (op, ct) => writes.Submit(0, op, null, fromClient: false, ct), time ?? TimeProvider.System, options, logger);
            backend._workers.Add(Task.Run(() => reaper.RunAsync(backend._stopping.Token)));
        }
        return backend;
    }

    // ---- zxids and statistics -------------------------------------------------------------------

    public ValueTask<long> GetLastZxidAsync(CancellationToken cancellationToken = default) => _statistics.GetLastZxidAsync(cancellationToken);

    public ValueTask<long> ReadLastZxidAsync(CancellationToken cancellationToken = default) => _statistics.ReadLastZxidAsync(cancellationToken);

    public long LastAppliedZxid => _user.AppliedZxid;

    public ValueTask<BackendStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => _statistics.GetAsync(cancellationToken);

    // ---- sessions ------------------------------------------------------------------------------

    public ValueTask<SessionGrant> CreateSessionAsync(int timeoutMs, CancellationToken cancellationToken = default) =>
        _sessions.CreateAsync(timeoutMs, cancellationToken);

    public ValueTask<bool> TryResumeSessionAsync(long sessionId, ReadOnlyMemory<byte> password, int timeoutMs, CancellationToken cancellationToken = default) =>
        _sessions.TryResumeAsync(sessionId, password, timeoutMs, cancellationToken);

    public Task<WriteResult> CloseSessionAsync(long sessionId, CancellationToken cancellationToken = default) =>
        _sessions.CloseAsync(sessionId, cancellationToken);

    public void TouchSession(long sessionId) => _sessions.Touch(sessionId);

    public bool IsSessionLive(long sessionId) => _sessions.IsLive(sessionId);

    // ---- writes --------------------------------------------------------------------------------

    public Task<WriteResult> SubmitAsync(long sessionId, WriteOperation operation, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        _writes.Submit(sessionId, operation, caller, fromClient: true, cancellationToken);

    // ---- reads ---------------------------------------------------------------------------------

    // ZooKeeper 3.8.0 checks no ACL on exists (later versions check READ on an existing node): the
    // caller is taken for that, and unused, as in 3.8.0.
    public ValueTask<ReadResult<Stat>> ExistsAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        _reads.ExistsAsync(path, watcher, cancellationToken);

    public ValueTask<ReadResult<NodeData>> GetDataAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        _reads.GetDataAsync(path, watcher, caller, cancellationToken);

    public ValueTask<ReadResult<ChildList>> GetChildrenAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        _reads.GetChildrenAsync(path, watcher, caller, cancellationToken);

    public ValueTask<ReadResult<NodeAcl>> GetAclAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        _reads.GetAclAsync(path, caller, cancellationToken);

    public ValueTask<ReadResult<int>> GetAllChildrenNumberAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        _reads.GetAllChildrenNumberAsync(path, caller, cancellationToken);

    public ValueTask<ReadResult<IReadOnlyList<string>>> GetEphemeralsAsync(long sessionId, string prefix, CancellationToken cancellationToken = default) =>
        _reads.GetEphemeralsAsync(sessionId, prefix, cancellationToken);

    // ---- watches -------------------------------------------------------------------------------

    public ValueTask SetWatchesAsync(long watcher, long relativeZxid, IReadOnlyList<string> dataWatches, IReadOnlyList<string> existWatches, IReadOnlyList<string> childWatches, IReadOnlyList<string>? persistentWatches = null, IReadOnlyList<string>? persistentRecursiveWatches = null, CancellationToken cancellationToken = default) =>
        _watches.SetWatchesAsync(watcher, relativeZxid, dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches, cancellationToken);

    public ValueTask<long> AddWatchAsync(string path, AddWatchMode mode, long watcher, CancellationToken cancellationToken = default) =>
        _watches.AddWatchAsync(path, mode, watcher, cancellationToken);

    public bool CheckWatches(string path, WatcherType type) => _watches.Check(path, type);

    public bool RemoveWatches(string path, WatcherType type, long watcher) => _watches.Remove(path, type, watcher);

    public void RemoveWatcher(long watcher) => _watches.RemoveWatcher(watcher);

    public (int Watches, int Paths) WatchCounts() => _watches.Counts();

    public IReadOnlyDictionary<long, IReadOnlyList<string>> WatchedPaths() => _watches.PathsByWatcher();

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
        _writes.CancelAll();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
        await _heartbeat.SignOffAsync().ConfigureAwait(false);
        if (_remoteOwner is not null)
        {
            await _remoteOwner.DisposeAsync().ConfigureAwait(false);
        }
        _stopping.Dispose();
    }
}
