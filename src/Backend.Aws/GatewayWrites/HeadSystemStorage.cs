using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// System storage for the gateway write path: no timed locks, no pending list, no request markers.
/// A node's system state is its key-value user item (one item per node, written once per change by
/// the apply step); sessions stay in <c>D-sessions</c>; the commit is the reservation of the next
/// batch in the <see cref="WriteHead"/>, conditional on the head not having moved since this writer
/// last caught up, which is what makes every read the batch validated against still current.
/// <para>
/// With <c>writer: true</c> the instance is the writer's: it hands out zxids from the head's counter in
/// memory and caches the nodes and sessions it read or wrote, valid while the head stays where this
/// writer left it (a reservation that fails drops the cache: <see cref="CatchUp"/>). Every other user
/// (the gateway's session handling, mntr) gets an instance without cache that reads storage.
/// </para>
/// </summary>
public sealed class HeadSystemStorage : ISystemStorage
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _dataTable;
    private readonly DynamoSessionTable _sessions;
    private readonly WriteHead _head;
    private readonly string _writerId;
    private readonly bool _writer;

    private readonly Dictionary<string, SystemNode?> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<long, SessionRecord?> _sessionCache = new();

    private HeadState _known = HeadState.Empty;
    private long _lastZxid;

    /// <summary>Where large payloads go, once, before the batch is reserved (the writer's instance only).</summary>
    private readonly DynamoUserStorage? _blobs;

    /// <summary>
    /// Data above this goes to S3 at its final key before the reservation, and the batch and the node
    /// item only refer to it: one S3 PUT ($5/M) instead of carrying it in two items at a write unit per
    /// KB each (above ~2 KB the PUT is cheaper).
    /// </summary>
    public const int LargePayloadBytes = 2048;

    public HeadSystemStorage(IAmazonDynamoDB dynamo, AwsSettings settings, string writerId, bool writer, DynamoUserStorage? blobs = null)
    {
        _blobs = blobs;
        _dynamo = dynamo;
        _dataTable = settings.DataTable;
        _sessions = new DynamoSessionTable(dynamo, settings.SessionsTable);
        _head = new WriteHead(dynamo, settings.CountersTable);
        _writerId = writerId;
        _writer = writer;
    }

    public WriteHead Head => _head;

    /// <summary>The head as this writer last saw or wrote it.</summary>
    public HeadState Known => _known;

    /// <summary>What the last successful reservation committed, until the apply step takes it.</summary>
    private IReadOnlyList<HeadBatchEntry> _reserved = [];

    /// <summary>The batch id of the last reservation tried: one whose call failed may have got in.</summary>
    public string AttemptedBatchId { get; private set; } = "";

    /// <summary>The number that reservation was tried as.</summary>
    public long AttemptedSeq { get; private set; }

    /// <summary>Whether this attempt answered a read from the cache, and whether it reserved a batch.</summary>
    private bool _servedFromCache;
    private bool _reservedThisAttempt;

    /// <summary>A new attempt of a batch begins: forgets the last attempt's batch id and what it read.</summary>
    public void BeginAttempt()
    {
        AttemptedBatchId = "";
        _servedFromCache = false;
        _reservedThisAttempt = false;
    }

    /// <summary>
    /// Before an attempt that reserved nothing is answered (requests that failed validation, syncs):
    /// what it read from the cache is current only if the head has not moved, which a reservation
    /// would have checked. Throws <see cref="HeadMovedException"/> if it moved.
    /// </summary>
    public async ValueTask ConfirmUnreservedAsync(CancellationToken ct)
    {
        if (_reservedThisAttempt || !_servedFromCache)
        {
            return;
        }
        var head = await _head.ReadAsync(ct).ConfigureAwait(false);
        if (head.Seq != _known.Seq || head.BatchId != _known.BatchId)
        {
            throw new HeadMovedException(_known.Seq);
        }
    }

    /// <summary>The session changes of the batch just reserved (none if nothing was reserved since the last call).</summary>
    public IReadOnlyList<HeadBatchEntry> TakeReserved()
    {
        var reserved = _reserved;
        _reserved = [];
        return reserved;
    }

    /// <summary>
    /// Takes the head as current: zxids continue after it, and what was cached is dropped (another
    /// writer may have changed anything). The caller has made sure its batch is applied.
    /// </summary>
    public void CatchUp(HeadState head)
    {
        _known = head;
        _lastZxid = head.LastZxid;
        _reserved = [];
        _nodes.Clear();
        _sessionCache.Clear();
    }

    // ---- reads the writer validates against ------------------------------------------------------

    public async ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default) =>
        new(true, await GetNodeAsync(path, cancellationToken).ConfigureAwait(false));

    public ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default)
    {
        if (_writer && _nodes.TryGetValue(path, out var cached))
        {
            _servedFromCache = true;
            return cached;
        }
        var item = (await _dynamo.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _dataTable,
            Key = new() { ["path"] = S(path) },
            ConsistentRead = true,
            ProjectionExpression = "#stat, #acl, #" + DynamoUserStorage.KindMarkerAttr,
        }), cancellationToken).ConfigureAwait(false)).Item;
        var node = ToSystemNode(path, item);
        if (_writer)
        {
            _nodes[path] = node;
        }
        return node;
    }

    /// <summary>
    /// The writer's view of a user item. User storage keeps the Stat clients see, whose cversion is
    /// derived from the parent's creation counter (2 × counter − children): the counter is recovered;
    /// and whose ephemeralOwner is 0 for a container or TTL node: the item's kind marker (on those
    /// items only) is put back. An item without a Stat is a deleted node's tombstone.
    /// </summary>
    internal static SystemNode? ToSystemNode(string path, Dictionary<string, AttributeValue>? item)
    {
        if (GetBytes(item, "stat") is not { } statBytes)
        {
            return null;
        }
        var visible = StorageCodec.DecodeStat(statBytes);
        var stat = visible with { Cversion = (visible.Cversion + visible.NumChildren) / 2 };
        if (GetLong(item, DynamoUserStorage.KindMarkerAttr) is { } marker)
        {
            stat = stat with { EphemeralOwner = marker };
        }
        var acl = GetBytes(item, "acl") is { } aclBytes ? StorageCodec.DecodeAcl(aclBytes) : Acl.OpenAclUnsafe;
        return new SystemNode(path, stat, acl);
    }

    public async ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        if (_writer && _sessionCache.TryGetValue(sessionId, out var cached))
        {
            _servedFromCache = true;
            return cached;
        }
        var session = await _sessions.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (_writer)
        {
            _sessionCache[sessionId] = session;
        }
        return session;
    }

    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default) => _sessions.ListAsync(cancellationToken);

    public ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default) => _sessions.GetEphemeralsAsync(sessionId, cancellationToken);

    public ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default) => _sessions.CountEphemeralsAsync(cancellationToken);

    public ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default) => _sessions.UpdateTimeoutAsync(sessionId, timeoutMs, cancellationToken);

    // ---- zxids ------------------------------------------------------------------------------------

    public ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        RequireZxid(name);
        if (!_writer)
        {
            throw new InvalidOperationException("Only the writer hands out zxids.");
        }
        return ValueTask.FromResult(++_lastZxid);
    }

    public async ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        RequireZxid(name);
        return _writer ? _lastZxid : (await _head.ReadAsync(cancellationToken).ConfigureAwait(false)).LastZxid;
    }

    private static void RequireZxid(string name)
    {
        if (name != WriterFunction.ZxidCounter)
        {
            throw new NotSupportedException($"The gateway write path has no counter '{name}'.");
        }
    }

    // ---- the commit: reserving the next batch -------------------------------------------------------

    /// <summary>
    /// Reserves the batch (all requests or none): one conditional write of the head. Throws
    /// <see cref="HeadMovedException"/> when another writer got there first.
    /// </summary>
    public async ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default)
    {
        if (!_writer)
        {
            throw new InvalidOperationException("Only the writer's instance commits.");
        }
        // Chosen first: the batch's large payloads are written under keys that name it.
        string batchId = Guid.NewGuid().ToString("N");
        var entries = new List<HeadBatchEntry>(requests.Count);
        var overlay = new Dictionary<string, SystemNode?>(StringComparer.Ordinal);
        var written = new List<string>();
        foreach (var request in requests)
        {
            var ephemerals = new EphemeralChanges();
            foreach (var write in request.Nodes)
            {
                var previous = overlay.TryGetValue(write.Path, out var staged) ? staged : _nodes.GetValueOrDefault(write.Path);
                ephemerals.Track(write.Path, previous, write.NewState);
                overlay[write.Path] = write.NewState;
            }
            var edits = new List<EphemeralEdit>();
            foreach (long owner in ephemerals.Owners.Distinct())
            {
                edits.AddRange((ephemerals.Removed(owner) ?? []).Select(p => new EphemeralEdit(owner, p, Added: false)));
                edits.AddRange((ephemerals.Added(owner) ?? []).Select(p => new EphemeralEdit(owner, p, Added: true)));
            }
            var txn = WithKindMarkers(request.Pending, request.Nodes);
            entries.Add(new HeadBatchEntry(await WithLargePayloadsWrittenAsync(txn, batchId, written, cancellationToken).ConfigureAwait(false), request.CreatedSession, request.ClosedSession, edits));
        }
        var batch = WithDataLeftOut(entries);
        var next = _known.Next(_lastZxid, _writerId, batchId, HeadBatchCodec.Encode(batch));
        AttemptedBatchId = next.BatchId;
        AttemptedSeq = next.Seq;
        if (!await ReserveAsync(next, cancellationToken).ConfigureAwait(false))
        {
            foreach (string key in written)
            {
                await _blobs!.DeleteDataVersionAsync(key, cancellationToken).ConfigureAwait(false);
            }
            throw new HeadMovedException(_known.Seq);
        }
        _known = next;
        _reserved = batch;
        _reservedThisAttempt = true;
        // What this batch wrote is the state once it is applied, which happens before the next batch.
        foreach (var (path, node) in overlay)
        {
            _nodes[path] = node;
        }
        foreach (var request in requests)
        {
            if (request.CreatedSession is { } created)
            {
                _sessionCache[created.SessionId] = created;
            }
            if (request.ClosedSession != 0)
            {
                _sessionCache[request.ClosedSession] = null;
            }
        }
        return [.. requests.Select(_ => true)];
    }

    /// <summary>
    /// The transaction with every Put of a container or TTL node carrying that node's owner marker
    /// (<see cref="NodeChange.KindMarker"/>, from the request's new system state): a change's Stat is
    /// what clients see, with the marker hidden, and on this path the node's item is also its system
    /// state, which must keep it (<see cref="ToSystemNode"/>, the reap index). Other nodes' changes
    /// are left as they are, so an ordinary write costs what it did.
    /// </summary>
    internal static Txn WithKindMarkers(Txn txn, IReadOnlyList<SystemNodeWrite> writes)
    {
        Dictionary<string, long>? markers = null;
        foreach (var write in writes)
        {
            if (write.NewState is { Stat.EphemeralOwner: < 0 and var owner })
            {
                (markers ??= new(StringComparer.Ordinal))[write.Path] = owner;
            }
            else
            {
                markers?.Remove(write.Path);
            }
        }
        if (markers is null)
        {
            return txn;
        }
        return txn with
        {
            Changes = [.. txn.Changes.Select(c => c.Kind == NodeChangeKind.Put && markers.TryGetValue(c.Path, out long owner) ? c with { KindMarker = owner } : c)],
        };
    }

    /// <summary>
    /// A batch of one request that touches no session and writes inline data to one node, changing
    /// nothing else but that node's parent (a setData, a create): the head leaves that data out
    /// (<see cref="NodeChange.DataWithWriterOnly"/>), so the reservation costs one write unit instead
    /// of one per KB of payload. The writer then writes that node first; a writer that finds the batch
    /// at the head with the node unwritten fences the node, and the batch is aborted
    /// (<see cref="GatewayWriter"/>). Other batches carry all their data.
    /// </summary>
    internal static IReadOnlyList<HeadBatchEntry> WithDataLeftOut(IReadOnlyList<HeadBatchEntry> entries)
    {
        if (entries is not [{ CreatedSession: null, ClosedSession: 0, Ephemerals.Count: 0 } entry])
        {
            return entries;
        }
        var changes = entry.Txn.Changes;
        int index = -1;
        for (int i = 0; i < changes.Count; i++)
        {
            if (changes[i] is { Kind: NodeChangeKind.Put, WritesData: true, Data.Length: > 0, DataRef: null })
            {
                if (index >= 0)
                {
                    return entries;
                }
                index = i;
            }
        }
        if (index < 0)
        {
            return entries;
        }
        string? parent = Paths.ZkPath.Parent(changes[index].Path);
        if (changes.Where((_, i) => i != index).Any(c => c.Path != parent))
        {
            return entries;
        }
        return [entry with { Txn = entry.Txn with { Changes = [.. changes.Select((c, i) => i == index ? c with { DataWithWriterOnly = true } : c)] } }];
    }

    /// <summary>
    /// The transaction with every payload above <see cref="LargePayloadBytes"/> written to S3 under its
    /// version's key (path, mzxid and the batch's id) and referred to instead (<see cref="NodeChange.DataRef"/>).
    /// </summary>
    private async ValueTask<Txn> WithLargePayloadsWrittenAsync(Txn txn, string batchId, List<string> written, CancellationToken ct)
    {
        if (_blobs is null || !txn.Changes.Any(c => c.Data?.Length > LargePayloadBytes))
        {
            return txn;
        }
        var changes = new List<NodeChange>(txn.Changes.Count);
        foreach (var change in txn.Changes)
        {
            if (change.Data is { Length: > LargePayloadBytes } data)
            {
                string key = await _blobs.PutDataVersionAsync(change.Path, change.Stat.Mzxid, data, batchId, ct).ConfigureAwait(false);
                written.Add(key);
                changes.Add(change with { Data = null, DataRef = key });
            }
            else
            {
                changes.Add(change);
            }
        }
        return txn with { Changes = changes };
    }

    /// <summary>
    /// A reservation whose call failed may still have got in: the head says, by its batch id or, when
    /// other writers have reserved past it since, by the ids of the batches before it
    /// (<see cref="HeadState.Previous"/>). A batch that got in is never prepared again; one that was
    /// passed has been applied by the writers that passed it, and its own apply after that changes
    /// nothing newer (every write of an apply is conditional) while it answers this gateway's clients.
    /// </summary>
    private async ValueTask<bool> ReserveAsync(HeadState next, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (await _head.TryReserveAsync(_known.Seq, next, ct).ConfigureAwait(false))
                {
                    return true;
                }
                // Refused, perhaps by this very reservation: the SDK resends a call whose answer was
                // lost, and the resend meets the head that the first send moved. Only the head's
                // batch ids tell; taking it for another writer's would delete this batch's data.
                return GotIn(await _head.ReadAsync(ct).ConfigureAwait(false), next);
            }
            catch (AmazonServiceException) when (attempt < 5 && !ct.IsCancellationRequested)
            {
                var head = await _head.ReadAsync(ct).ConfigureAwait(false);
                if (head.Seq != _known.Seq)
                {
                    return GotIn(head, next);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(20 << attempt), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Whether <paramref name="next"/> got in, by the head read after its reservation's answer was lost.</summary>
    private static bool GotIn(HeadState head, HeadState next) =>
        head.Holds(next.Seq, next.BatchId) ?? throw new ReservationUnknownException(next.Seq, head.Seq);

    /// <summary>Roughly what a request adds to the head item; the writer keeps a batch well under DynamoDB's 400 KB.</summary>
    public bool FitsOneCommit(CommitRequest request) =>
        request.Pending.Changes.Sum(c => 200L + InHeadBytes(c.Data?.Length ?? 0) + (2L * c.Path.Length)) < MaxBatchBytes;

    /// <summary>What a payload adds to the head item: itself, or a key when it goes to S3 first.</summary>
    public static long InHeadBytes(int dataLength) => dataLength > LargePayloadBytes ? 128 : dataLength;

    /// <summary>The most a reserved batch may weigh: DynamoDB items are at most 400 KB.</summary>
    public const int MaxBatchBytes = 300 * 1024;

    // ---- what the queue path needs and this one does not ------------------------------------------

    /// <summary>Nothing is pending between batches: the head's batch is applied before the next is reserved.</summary>
    public ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult<IReadOnlyList<Txn>>([]);

    public ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
