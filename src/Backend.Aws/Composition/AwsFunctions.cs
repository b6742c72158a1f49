using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The writer and distributor functions on the AWS provider set, ready to be driven either by the
/// function host's polling loops (<see cref="RunAsync"/>) or by Lambda, one SQS event batch per
/// invocation (<see cref="HandleWriterBatchAsync"/>, <see cref="HandleDistributorBatchAsync"/>). One
/// instance per process (a Lambda execution environment): it keeps the SDK clients and the
/// distributor's node cache across invocations.
/// </summary>
public sealed class AwsFunctions : IAsyncDisposable
{
    private readonly AwsClients _clients;
    private readonly DynamoSystemStorage _system;
    private readonly IAwsUserStorage _user;
    private readonly SqsOrderedQueue<WriteRequest> _writerQueue;
    private readonly SqsOrderedQueue<Txn> _distributorQueue;
    private readonly WriterFunction _writer;
    private readonly DistributorFunction _distributor;
    private readonly HeartbeatFunction _heartbeat;
    private readonly ReaperFunction _reaper;
    private readonly TimeSpan _heartbeatInterval;
    private readonly ILogger _logger;

    /// <summary>
    /// Paths the reaper asked to delete and when (ms): a deleteContainer still in the writer queue is
    /// not sent again by the next pass (the reaper does not wait for the writer's answer here).
    /// </summary>
    private readonly Dictionary<string, long> _reapsSent = new(StringComparer.Ordinal);

    /// <summary>The reply address of the reaper's requests: no gateway (and no inbox) has this id.</summary>
    public const string ReaperAddress = "reaper";

    private AwsFunctions(AwsClients clients, DynamoSystemStorage system, IAwsUserStorage user, SqsOrderedQueue<WriteRequest> writerQueue, SqsOrderedQueue<Txn> distributorQueue, BackendOptions options, ILogger logger, QuotaGuard? quotas)
    {
        _clients = clients;
        _logger = logger;
        _system = system;
        _user = user;
        _writerQueue = writerQueue;
        _distributorQueue = distributorQueue;
        _writer = new WriterFunction(system, distributorQueue, TimeProvider.System, options, quotas);
        var inboxes = new InboxDirectory(clients);
        var ledger = new EpochLedger(clients.DynamoDb, clients.Settings.CountersTable, TimeProvider.System, EpochLedger.DefaultWindow);
        _distributor = new DistributorFunction(user, system, new InboxOutbox(clients.DynamoDb, clients.Settings.WatchesTable, inboxes.GetAsync, ledger));
        _heartbeat = new HeartbeatFunction(new DynamoSessionLeases(clients), writerQueue, TimeProvider.System, logger);
        _reaper = new ReaperFunction(system, system, SubmitReapAsync, TimeProvider.System, options, logger);
        _heartbeatInterval = TimeSpan.FromMilliseconds(Math.Max(100, options.HeartbeatIntervalMs));
    }

    /// <summary>
    /// Connects to a provisioned deployment, bootstraps the tree of a fresh one, and applies what a
    /// crashed writer or distributor left in the pending list (a transaction committed but never
    /// distributed), so nothing committed waits for the next write.
    /// </summary>
    public static Task<AwsFunctions> StartAsync(AwsSettings settings, BackendOptions options, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default) =>
        StartAsync(settings, options, scheduledOnly: false, loggers, cancellationToken);

    /// <summary>
    /// Connects for the scheduled passes alone (the heartbeat Lambda: heartbeat and reaper). It neither
    /// bootstraps the tree nor applies the pending list, which the writer and distributor do, so its
    /// role needs no write access to user storage, the pending list or the inboxes.
    /// </summary>
    public static Task<AwsFunctions> StartScheduledAsync(AwsSettings settings, BackendOptions options, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default) =>
        StartAsync(settings, options, scheduledOnly: true, loggers, cancellationToken);

    private static async Task<AwsFunctions> StartAsync(AwsSettings settings, BackendOptions options, bool scheduledOnly, ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        // Before the first cloud call: ZKGW_TRACE_FILE asks for this process's spans.
        Diagnostics.CloudTraceFile.StartFromEnvironment("functions");
        var clients = new AwsClients(settings);
        CostMeter.Enabled = true;
        AwsCostMetering.Attach(clients, CostMeter.Shared);
        try
        {
            // Before the bootstrap below, which would write the initial tree over a half import's root.
            await ImportMarker.ThrowIfUnfinishedAsync(clients, cancellationToken).ConfigureAwait(false);
            var system = new DynamoSystemStorage(clients);
            var user = AwsDeployment.CreateUserStorage(clients);
            // On the gateway write path the gateways bootstrap, write and take over dead gateways' sessions.
            scheduledOnly |= settings.WritePath == WritePathMode.Gateway;
            if (!scheduledOnly)
            {
                await user.RefreshAppliedZxidAsync(cancellationToken).ConfigureAwait(false);
                if (await system.IsEmptyAsync(cancellationToken).ConfigureAwait(false))
                {
                    await InitialTree.WriteAsync(system, user).ConfigureAwait(false);
                }
            }
            var writerQueue = await SqsOrderedQueue<WriteRequest>.OpenAsync(clients, settings.WriterQueue, WriteRequestCodec.Instance, cancellationToken).ConfigureAwait(false);
            var distributorQueue = await SqsOrderedQueue<Txn>.OpenAsync(clients, settings.DistributorQueue, TxnCodec.Instance, cancellationToken).ConfigureAwait(false);
            var functions = new AwsFunctions(clients, system, user, writerQueue, distributorQueue, options, (loggers ?? NullLoggerFactory.Instance).CreateLogger<AwsFunctions>(),
                QuotaGuard.For(options, user, loggers, TimeProvider.System));
            if (!scheduledOnly)
            {
                await functions.RecoverAsync(cancellationToken).ConfigureAwait(false);
            }
            return functions;
        }
        catch
        {
            clients.Dispose();
            throw;
        }
    }

    /// <summary>Applies the pending list: transactions committed whose distribution never completed.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        var pending = await _system.GetPendingAsync(cancellationToken).ConfigureAwait(false);
        if (pending.Count > 0)
        {
            await _distributor.HandleBatchAsync(pending, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The function host: the writer and distributor consume their queues, and the heartbeat runs every
    /// <see cref="BackendOptions.HeartbeatIntervalMs"/> (on Lambda it runs on EventBridge's one-minute
    /// schedule, which the default matches), until <paramref name="cancellationToken"/> fires.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        _clients.Settings.WritePath == WritePathMode.Gateway
            // Nothing to consume: the gateways write, and run the heartbeat's takeover themselves (a
            // close sent to the writer queue here would never be applied). The reaper comes later.
            ? Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default)
            : Task.WhenAll(
            UntilCancelledAsync(() => _writer.RunAsync(_writerQueue, cancellationToken), cancellationToken),
            UntilCancelledAsync(() => _distributor.RunAsync(_distributorQueue, cancellationToken), cancellationToken),
            _heartbeat.RunAsync(_heartbeatInterval, cancellationToken),
            UntilCancelledAsync(() => _reaper.RunAsync(cancellationToken), cancellationToken));

    /// <summary>One heartbeat pass (the scheduled Lambda function): expires the sessions of gateways that are gone.</summary>
    public Task<int> HeartbeatOnceAsync(CancellationToken cancellationToken) =>
        OnQueuePath ? _heartbeat.RunOnceAsync(cancellationToken) : Task.FromResult(0);

    /// <summary>
    /// The writer queue has a consumer only on the queue path: on the gateway write path a close or a
    /// reap sent there would never be applied, so the scheduled passes do nothing (the gateways run them).
    /// </summary>
    private bool OnQueuePath => _clients.Settings.WritePath == WritePathMode.Queue;

    /// <summary>
    /// One reaper pass (the scheduled Lambda function runs it after the heartbeat, every minute as
    /// ZooKeeper's default znode.container.checkIntervalMs): a deleteContainer for every container and
    /// TTL node that should go; returns how many it sent.
    /// </summary>
    public Task<int> ReapOnceAsync(CancellationToken cancellationToken) =>
        OnQueuePath ? _reaper.CheckAsync(cancellationToken) : Task.FromResult(0);

    /// <summary>
    /// The reaper's submit: the deleteContainer goes on the writer queue (session 0, as ZooKeeper's
    /// ContainerManager sends it) and counts as done; the writer checks the node again and the
    /// distributor's reply to the reaper's address finds no inbox and is dropped.
    /// </summary>
    private async Task<WriteResult> SubmitReapAsync(WriteOperation operation, CancellationToken cancellationToken)
    {
        long now = Environment.TickCount64;
        string path = ((DeleteContainerOperation)operation).Path;
        lock (_reapsSent)
        {
            foreach (var (sent, at) in _reapsSent.ToList())
            {
                if (now - at > 60_000)
                {
                    _reapsSent.Remove(sent);
                }
            }
            if (_reapsSent.ContainsKey(path))
            {
                // Sent by an earlier pass and not handled yet: nothing new to do.
                return new WriteResult(Jute.Protocol.ErrorCode.NoNode, 0);
            }
            _reapsSent[path] = now;
        }
        long requestId = BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
        await _writerQueue.SendAsync(new WriteRequest(0, operation, new ReplyAddress(ReaperAddress, requestId)), cancellationToken).ConfigureAwait(false);
        return new WriteResult(Jute.Protocol.ErrorCode.Ok, 0);
    }

    /// <summary>One writer batch from a Lambda SQS event (bodies in queue order); throws if it cannot be handled.</summary>
    public async Task HandleWriterBatchAsync(IReadOnlyList<string> bodies, CancellationToken cancellationToken)
    {
        var requests = new List<WriteRequest>(bodies.Count);
        foreach (string body in bodies)
        {
            requests.Add(await _writerQueue.DecodeBodyAsync(body, cancellationToken).ConfigureAwait(false));
        }
        await _writer.HandleBatchAsync(requests, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One distributor batch from a Lambda SQS event.</summary>
    public async Task HandleDistributorBatchAsync(IReadOnlyList<string> bodies, CancellationToken cancellationToken)
    {
        var txns = new List<Txn>(bodies.Count);
        foreach (string body in bodies)
        {
            txns.Add(await _distributorQueue.DecodeBodyAsync(body, cancellationToken).ConfigureAwait(false));
        }
        await _distributor.HandleBatchAsync(txns, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a consumer loop until cancelled. A failed batch (a storage or queue error) is logged and the
    /// loop starts again: the batch was not acknowledged, so the queue delivers it again after its
    /// visibility timeout, by when a failed writer's locks have lapsed. One bad call must not stop the
    /// deployment's only writer.
    /// </summary>
    private async Task UntilCancelledAsync(Func<Task> run, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await run().ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                AwsLog.FunctionBatchFailed(_logger, e);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _writerQueue.Dispose();
        _distributorQueue.Dispose();
        _clients.Dispose();
        return ValueTask.CompletedTask;
    }
}
