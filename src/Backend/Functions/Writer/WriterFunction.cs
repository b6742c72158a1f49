using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// FaaSKeeper's writer function: consumes the writer queue in order and, per request, takes timed
/// locks on the node and its parent (reading them in the same step: <see cref="RequestLocks"/>),
/// validates with ZooKeeper's check order and assigns the zxid (<see cref="RequestPrep"/>), commits
/// system state conditionally on still holding the locks, appending the transaction to the
/// pending-update list (<see cref="BatchCommit"/>), then pushes the transaction to the distributor
/// queue (after <see cref="CommitOutcomes"/> settled what replays and lost locks become).
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

    /// <summary>
    /// The token every lock of the batch is taken with: it names the batch by its first request, which
    /// every delivery of the batch starts with (one FIFO message group, acknowledged whole), and the delivery.
    /// </summary>
    private static LockToken BatchLockToken(IReadOnlyList<WriteRequest> batch, int delivery) =>
        batch.Count == 0 ? LockToken.New() : LockToken.ForBatch($"{batch[0].ReplyTo.GatewayId}#{batch[0].ReplyTo.RequestId}", delivery);

    /// <summary>The system-storage counter that hands out zxids.</summary>
    public const string ZxidCounter = "zxid";

    private readonly ISystemStorage _system;
    private readonly IOrderedQueue<Txn> _distributorQueue;
    private readonly BackendOptions _options;
    private readonly RequestPrep _prep;
    private readonly CloseSessionSplitter _splitter;

    // quotas: the check of zookeeper.enforceQuota; null when it is off (ZooKeeper then checks nothing).
    public WriterFunction(ISystemStorage system, IOrderedQueue<Txn> distributorQueue, TimeProvider time, BackendOptions options, QuotaGuard? quotas = null)
    {
        _system = system;
        _distributorQueue = distributorQueue;
        _options = options;
        _prep = new RequestPrep(system, time, options, quotas);
        _splitter = new CloseSessionSplitter(system);
    }

    /// <summary>
    /// Consumes the writer queue until it completes. <paramref name="storageFailed"/>: where a queue
    /// never redelivers (the embedded one), a batch whose commit the storage refused is handed to it
    /// (to fail its requests) and the writer goes on with the next; without it the failure ends the loop.
    /// </summary>
    public async Task RunAsync(IOrderedQueue<WriteRequest> writerQueue, CancellationToken cancellationToken, Action<IReadOnlyList<WriteRequest>, StorageUnavailableException>? storageFailed = null)
    {
        while (true)
        {
            var batch = await writerQueue.ReceiveBatchAsync(_options.MaxWriteBatch, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return;
            }
            try
            {
                await HandleBatchAsync(batch.Messages, cancellationToken, batch.Delivery).ConfigureAwait(false);
            }
            catch (StorageUnavailableException e) when (storageFailed is not null)
            {
                storageFailed(batch.Messages, e);
            }
            catch (LockLostException)
            {
                // Not acknowledged: the batch comes back (to us at the next receive, or it is with the
                // later delivery that took our lock), and that delivery answers it.
                continue;
            }
            await writerQueue.AcknowledgeAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Prepares, commits and distributes one batch of requests, in their order. <paramref name="delivery"/>:
    /// which delivery of the batch this is (<see cref="QueueBatch{T}.Delivery"/>); a later delivery takes
    /// over the locks an earlier one left. Throws <see cref="LockLostException"/> when a lock was lost
    /// (then nothing more of the batch is committed, and nothing is answered).
    /// </summary>
    public async Task HandleBatchAsync(IReadOnlyList<WriteRequest> batch, CancellationToken cancellationToken, int delivery = 1)
    {
        using var span = CloudTrace.StartBatch(CloudTrace.WriterBatchSpan, batch.Select(r => CloudTrace.RequestKey(r.ReplyTo.GatewayId, r.ReplyTo.RequestId)));
        var commit = new BatchCommit(_system, _splitter, BatchLockToken(batch, delivery));
        foreach (var request in batch)
        {
            var scope = commit.NewScope();
            if (request.Operation is CloseSessionOperation)
            {
                // A close that an earlier attempt split and did not finish: those parts go out first.
                commit.AddEarlierParts(await _system.GetPendingClosePartsAsync(request.SessionId, cancellationToken).ConfigureAwait(false));
            }
            var txn = await _prep.PrepareAsync(request, scope, cancellationToken).ConfigureAwait(false);
            await commit.AddAsync(request, txn, scope, cancellationToken).ConfigureAwait(false);
        }

        var commits = commit.Commits;
        if (commits.Count > 0)
        {
            await Failpoints.HitAsync(Failpoints.WriterBeforeCommit, cancellationToken).ConfigureAwait(false);
        }
        bool[] applied;
        // A batch's commits and its push to the distributor serve all its requests: charged to the batch.
        using (CostMeter.Begin("write-commit"))
        {
            try
            {
                applied = commits.Count == 0 ? [] : await _system.CommitAsync(commits, cancellationToken).ConfigureAwait(false);
            }
            catch (StorageUnavailableException)
            {
                await commit.ReleaseUnusedLocksAsync(cancellationToken).ConfigureAwait(false);
                throw;
            }
        }
        if (commits.Count > 0)
        {
            await Failpoints.HitAsync(Failpoints.WriterAfterCommit, cancellationToken).ConfigureAwait(false);
        }
        await commit.ReleaseUnusedLocksAsync(cancellationToken).ConfigureAwait(false);
        var outgoing = await CommitOutcomes.ResolveAsync(_system, commits, applied, commit.Txns, cancellationToken).ConfigureAwait(false);
        using var charge = CostMeter.Begin("write-push");
        await _distributorQueue.SendBatchAsync(outgoing, cancellationToken).ConfigureAwait(false);
    }
}
