using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.InProcess;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The writer and distributor functions hosted in a gateway, over DynamoDB (the gateway write path).
/// Per batch of this gateway's writes: the writer validates and stages them as always
/// (<see cref="WriterFunction"/>, against <see cref="HeadSystemStorage"/>), commits by reserving the
/// next batch in the <see cref="WriteHead"/>, then the batch is applied at once on this thread: session
/// records (<see cref="HeadSessionWrites"/>), then user storage, watch triggers and replies
/// (<see cref="DistributorFunction"/>, with this gateway's own part delivered in-process).
/// <para>
/// The rule that makes it safe with any number of gateways: a writer reserves batch n+1 only after
/// batch n is applied. Its own batches are (it applies each before taking the next); when the
/// reservation fails because another writer moved the head, it catches up (<see cref="CatchUpAsync"/>):
/// reads the head, applies the batch there if it is not applied yet (its writer may have died or
/// stalled after reserving it: every write of an apply is conditional, so a second applier changes
/// nothing twice, and a late one nothing newer), and prepares its own batch again on fresh reads.
/// </para>
/// <para>
/// The same rule orders interest registrations: a gateway's first interest in a path is followed by a
/// reservation of its writer (<see cref="ReserveAfterAsync"/>), so no batch plans its triggers without
/// an interest item that a watching read after it relies on. No applied marker is kept.
/// </para>
/// </summary>
public sealed class GatewayWriter
{
    private readonly AwsClients _clients;
    private readonly HeadSystemStorage _system;
    private readonly IAwsUserStorage _user;
    private readonly IGatewayOutbox _outbox;

    /// <summary>The node items under <see cref="_user"/>, for what only this path asks of them: write stamps and fences.</summary>
    private readonly DynamoUserStorage _items;
    private readonly HeadSessionWrites _sessions;
    private readonly DistributorFunction _distributor;
    private readonly WriterFunction _writer;
    private readonly BackendOptions _options;
    private readonly ILogger _logger;

    /// <summary>The batch id of the last batch this writer reserved and applied.</summary>
    private string _appliedBatchId = "";

    /// <summary>
    /// Every batch since this writer last caught up with another writer's was its own: the epoch
    /// ledger is as it wrote it (<see cref="PlanBasis"/>).
    /// </summary>
    private bool _followsOwnBatch;

    /// <summary>
    /// Counts the batches of other writers this writer caught up with: any of them may be a gateway's
    /// interest registration, so interest looked up before is not trusted across one.
    /// </summary>
    private long _interestGeneration;

    /// <summary>One batch or reservation at a time: the writer's storage instance and cache are not shared.</summary>
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>For the outbox's plan (<see cref="InboxOutbox"/>): the interest generation, and whether the ledger is as this writer left it.</summary>
    public WriterPlanBasis PlanBasis() => new(Volatile.Read(ref _interestGeneration), _followsOwnBatch);

    public GatewayWriter(AwsClients clients, HeadSystemStorage system, IAwsUserStorage user, DynamoUserStorage items, IGatewayOutbox outbox, BackendOptions options, TimeProvider time, ILogger logger, QuotaGuard? quotas = null)
    {
        _clients = clients;
        _system = system;
        _user = user;
        _items = items;
        _outbox = outbox;
        _options = options;
        _logger = logger;
        _sessions = new HeadSessionWrites(clients.DynamoDb, clients.Settings.SessionsTable);
        _distributor = new DistributorFunction(user, system, outbox, skipsApplied: false);
        // quotas: zookeeper.enforceQuota's check, over the items themselves (not the gated reads); null when off.
        _writer = new WriterFunction(system, new InlineQueue<Txn>(ApplyReservedAsync), time, options, quotas);
    }

    /// <summary>Catches up with the head (bootstrapping a fresh deployment), then serves the queue until it completes.</summary>
    public async Task RunAsync(IOrderedQueue<WriteRequest> queue, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RetryAsync(() => CatchUpAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
        while (true)
        {
            var batch = await queue.ReceiveBatchAsync(_options.MaxWriteBatch, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return;
            }
            foreach (var chunk in Chunks(batch.Messages))
            {
                await HandleAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
            await queue.AcknowledgeAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One batch, in this writer's turn, prepared again as often as needed (<see cref="UntilReservedAsync"/>).
    /// </summary>
    public async Task HandleAsync(IReadOnlyList<WriteRequest> batch, CancellationToken ct)
    {
        await _turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await HandleInTurnAsync(batch, ct).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// A reservation of this writer that begins after the call: an empty batch at the head. Once it
    /// returns, every batch before it is applied and every batch after it is planned after the call
    /// began (a gateway's interest registration, <see cref="DynamoWatchInterest"/>).
    /// </summary>
    public async Task ReserveAfterAsync(CancellationToken ct)
    {
        await _turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // No plan: the ledger was not read, so whether it is as this writer left it does not change.
            await UntilReservedAsync(async () =>
            {
                await _system.CommitAsync([], ct).ConfigureAwait(false);
                _system.TakeReserved();
            }, planned: false, ct).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    private Task HandleInTurnAsync(IReadOnlyList<WriteRequest> batch, CancellationToken ct) =>
        UntilReservedAsync(() => _writer.HandleBatchAsync(batch, ct), planned: true, ct);

    /// <summary>
    /// One reservation (with its apply, for a batch), attempted again as often as another writer moves
    /// the head first or aborts it. An attempt whose reservation got in although the call failed is
    /// found at the head by its id and applied there, not attempted again (that would apply its
    /// requests twice). <paramref name="planned"/>: the attempt planned its batch against the ledger,
    /// which is then as this writer left it.
    /// </summary>
    private async Task UntilReservedAsync(Func<Task> attemptOnce, bool planned, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            _system.BeginAttempt();
            try
            {
                await attemptOnce().ConfigureAwait(false);
                _appliedBatchId = _system.Known.BatchId;
                _followsOwnBatch |= planned;
                return;
            }
            catch (HeadMovedException)
            {
                AwsLog.HeadMoved(_logger, _system.Known.Seq, attempt);
            }
            catch (BatchAbortedException e)
            {
                // Another writer took this batch's node as never written: none of it happened. The
                // requests are prepared again, after the head as it is now.
                AwsLog.BatchAborted(_logger, e.Zxid);
                _appliedBatchId = _system.AttemptedBatchId;
                await RetryAsync(() => CatchUpAsync(ct), ct).ConfigureAwait(false);
                continue;
            }
            catch (Exception e) when (IsTransient(e) && e is not ReservationUnknownException && !ct.IsCancellationRequested)
            {
                AwsLog.GatewayWriteRetry(_logger, e, attempt);
                await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            }
            string attempted = _system.AttemptedBatchId;
            long attemptedSeq = _system.AttemptedSeq;
            await RetryAsync(() => CatchUpAsync(ct), ct).ConfigureAwait(false);
            switch (attempted.Length > 0 ? _system.Known.Holds(attemptedSeq, attempted) : false)
            {
                case true:
                    // Reserved after all, and applied by the catch-up (its replies went out with it), or
                    // by the writers that reserved past it (its replies went to this gateway's inbox).
                    if (_system.Known.BatchId == attempted)
                    {
                        _appliedBatchId = attempted;
                    }
                    return;
                case null:
                    // Too far back to tell: an unknown outcome, never a second apply.
                    throw new ReservationUnknownException(attemptedSeq, _system.Known.Seq);
            }
        }
    }

    /// <summary>
    /// Makes the batch at the head applied and takes the head as current. A fresh deployment gets the
    /// initial tree as its first batch; one that ran the queue path before continues its zxids.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        var head = await _system.Head.ReadAsync(ct).ConfigureAwait(false);
        if (head.Seq == 0)
        {
            _followsOwnBatch = false;
            _system.CatchUp(head with { LastZxid = await ReadQueuePathZxidAsync(ct).ConfigureAwait(false) });
            if (await _system.GetNodeAsync(Paths.ZkPath.Root, ct).ConfigureAwait(false) is null)
            {
                try
                {
                    await InitialTree.WriteAsync(_system, _user).ConfigureAwait(false);
                    _appliedBatchId = _system.Known.BatchId;
                }
                catch (HeadMovedException)
                {
                    // Another gateway bootstrapped first: take its batch as any other.
                    await CatchUpAsync(ct).ConfigureAwait(false);
                }
            }
            return;
        }
        if (head.BatchId != _appliedBatchId)
        {
            // Another writer's batch (or one of ours from before a restart): it may have written the
            // ledger, or be a registration of interest.
            _followsOwnBatch = false;
            Interlocked.Increment(ref _interestGeneration);
            await ApplyFoundAsync(HeadBatchCodec.Decode(head.Batch), ct).ConfigureAwait(false);
        }
        _user.ObserveZxid(head.LastZxid);
        _system.CatchUp(head);
        _appliedBatchId = head.BatchId;
    }

    /// <summary>A batch found at the head, perhaps never applied (its writer died or stalls): applied unless its items' write stamps show it was.</summary>
    private async Task ApplyFoundAsync(IReadOnlyList<HeadBatchEntry> entries, CancellationToken ct)
    {
        var txns = entries.Select(e => e.Txn).ToList();
        long last = txns.Where(t => t.ChangesState).Select(t => t.Zxid).DefaultIfEmpty(-1).Max();
        if (last == 0)
        {
            // The initial tree (zxid 0), which the applied marker cannot show: applying it again changes nothing.
            await _user.ApplyAsync(txns, _ => { }, ct).ConfigureAwait(false);
            return;
        }
        // A node whose data only its writer has (a single small write) is written first: unwritten,
        // it is fenced off and the batch aborted; written, the rest is applied below without it.
        foreach (var txn in txns)
        {
            foreach (var change in txn.Changes.Where(c => c.DataWithWriterOnly))
            {
                if (await AbortUnlessWrittenAsync(change.Path, txn.Zxid, ct).ConfigureAwait(false))
                {
                    AwsLog.AbortedBatch(_logger, txn.Zxid);
                    return;
                }
            }
        }
        // The nodes are written after the session records: with every node write made, nothing of
        // the batch is left to write. A batch that changes no node (sessions only) cannot be told
        // applied, and its stamped session writes are repeated.
        if (last > 0 && await _items.IsAppliedAsync(txns, ct).ConfigureAwait(false))
        {
            // Its writer sends the triggers after the writes, and may have died before, or be slow
            // enough for this writer's next batch to reach an inbox first (which then skips the older
            // trigger as handled): they go again, before this writer's next batch; an inbox that had
            // them skips the copies.
            if (_outbox is ITriggerResend resend && txns.Any(t => t.Triggers.Count > 0))
            {
                await resend.ResendTriggersAsync(txns, ct).ConfigureAwait(false);
            }
            return;
        }
        await _sessions.ApplyAsync(entries, ct).ConfigureAwait(false);
        if (last > 0)
        {
            AwsLog.HelpedBatch(_logger, txns.Count, last);
            await _distributor.HandleBatchAsync(txns, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A writer-only node of a batch found at the head: its writer, if alive, writes it within
    /// milliseconds of reserving (it is the batch's first write), so it gets about 0.6 s before the node
    /// is fenced and the batch aborted (liveness only: the fence is conditional, and either the write or
    /// the fence gets in). True: aborted.
    /// </summary>
    private async Task<bool> AbortUnlessWrittenAsync(string path, long zxid, CancellationToken ct)
    {
        for (int wait = 5; wait <= 320; wait *= 2)
        {
            var state = await _items.ReadWriterOnlyAsync(path, zxid, ct).ConfigureAwait(false);
            if (state != WriterOnlyWrite.NotYet)
            {
                // Fenced by another helper: the fence below finds it and makes sure the abort is recorded.
                return state == WriterOnlyWrite.Fenced && await _items.FenceUnwrittenAsync(path, zxid, ct).ConfigureAwait(false);
            }
            await Task.Delay(wait, ct).ConfigureAwait(false);
        }
        return await _items.FenceUnwrittenAsync(path, zxid, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The writer's push, right after its reservation: the batch is committed, so it is applied now,
    /// and again and again on a transient failure (a stop leaves it to the next writer's catch-up).
    /// </summary>
    private async Task ApplyReservedAsync(IReadOnlyList<Txn> txns, CancellationToken ct)
    {
        // Answers validated against the cache without a reservation to prove it current: proved here
        // (a HeadMovedException makes the batch be prepared again, nothing of it applied yet).
        await _system.ConfirmUnreservedAsync(ct).ConfigureAwait(false);
        var reserved = _system.TakeReserved();
        // As reserved: a large payload is already at its final place and the transaction refers to it.
        var asReserved = reserved.ToDictionary(e => e.Txn.Zxid, e => e.Txn);
        txns = [.. txns.Select(t => asReserved.GetValueOrDefault(t.Zxid, t))];
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await _sessions.ApplyAsync(reserved, ct).ConfigureAwait(false);
                await _distributor.HandleBatchAsync(txns, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
            {
                AwsLog.GatewayApplyRetry(_logger, e, attempt);
                await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The queue path's zxid counter, where a deployment switches from it: zxids keep growing.</summary>
    private ValueTask<long> ReadQueuePathZxidAsync(CancellationToken ct) =>
        new DynamoCounters(_clients.DynamoDb, _clients.Settings.CountersTable).ReadAsync(WriterFunction.ZxidCounter, ct);

    /// <summary>Consecutive requests whose data keeps a reserved batch within the head item's size.</summary>
    internal static IEnumerable<IReadOnlyList<WriteRequest>> Chunks(IReadOnlyList<WriteRequest> batch)
    {
        var chunk = new List<WriteRequest>();
        long bytes = 0;
        foreach (var request in batch)
        {
            long size = 256 + DataBytes(request.Operation);
            if (chunk.Count > 0 && bytes + size > HeadSystemStorage.MaxBatchBytes)
            {
                yield return chunk;
                chunk = [];
                bytes = 0;
            }
            chunk.Add(request);
            bytes += size;
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    private static long DataBytes(WriteOperation operation) => operation switch
    {
        CreateOperation c => HeadSystemStorage.InHeadBytes(c.Data?.Length ?? 0) + c.Path.Length,
        SetDataOperation s => HeadSystemStorage.InHeadBytes(s.Data?.Length ?? 0) + s.Path.Length,
        MultiOperation m => m.Operations.Sum(DataBytes),
        _ => 64,
    };

    private static async Task RetryAsync(Func<Task> step, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await step().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested && attempt < 1000)
            {
                await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            }
        }
    }

    private static bool IsTransient(Exception e) => e is AmazonServiceException or HttpRequestException or IOException or TimeoutException
        || (e is TaskCanceledException && e.InnerException is TimeoutException);

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(1000, 10 << Math.Min(attempt, 6)));
}
