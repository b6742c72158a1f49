using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;
using DynamoWrite = Amazon.DynamoDBv2.Model.WriteRequest;
using PutObjectRequest = Amazon.S3.Model.PutObjectRequest;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// System storage on DynamoDB, with the semantics of the embedded provider set's EmbeddedSystemStorage:
/// <list type="bullet">
/// <item><c>D-nodes</c> (pk <c>path</c>): a node's committed state (<c>stat</c>, <c>acl</c>, binary as
/// StorageCodec writes them) and its timed lock (<c>lockToken</c>, <c>lockUntil</c> in ms). A node exists
/// exactly when <c>stat</c> does: a lock item of a missing node has only the lock attributes.</item>
/// <item><c>D-counters</c> (pk <c>name</c>, <c>value</c>).</item>
/// <item><c>D-pending</c> (pk <c>shard</c> = "0", sk <c>zxid</c>): committed, not yet applied transactions,
/// serialized with StorageCodec (<c>txn</c>), or in S3 under payloads/pending/&lt;zxid&gt; (<c>s3Key</c>)
/// when larger than an item may be.</item>
/// <item><c>D-sessions</c> (pk <c>sessionId</c>): <c>password</c>, <c>timeoutMs</c>, <c>ephemerals</c>
/// (string set of paths) and <c>ephSeq</c>, a version of that set (see ReplaceEphemeralsAsync).</item>
/// </list>
/// Each <see cref="CommitRequest"/> is one TransactWriteItems, so it is all-or-nothing and conditional
/// on our locks; requests of a batch are committed in order.
/// </summary>
public sealed class DynamoSystemStorage : ISystemStorage, INodeTypeIndex
{
    /// <summary>
    /// The sparse global secondary index of <c>D-nodes</c> that lists container and TTL nodes for the
    /// reaper (ZooKeeper's DataTree keeps the same two sets): only their items carry the index's hash key
    /// <see cref="ReapShardAttribute"/> (always "0"; the range key is <c>path</c>), so the index holds
    /// just them and a reaper pass is one Query, whatever the size of the tree.
    /// </summary>
    public const string ReapIndex = "reapable";

    /// <summary>The reap index's hash key, present (value "0") exactly on container and TTL nodes.</summary>
    public const string ReapShardAttribute = "reapShard";

    /// <summary>TransactWriteItems' limit on the items of one transaction.</summary>
    public const int MaxTransactionItems = 100;

    /// <summary>Serialized transactions above this go to S3 (a DynamoDB item holds at most 400 KB).</summary>
    public const int InlinePendingLimit = 350 * 1024;

    private const string Shard = "0";

    private readonly IAmazonDynamoDB _db;
    private readonly IAmazonS3 _s3;
    private readonly AwsSettings _settings;
    private readonly TimeProvider _time;

    /// <summary>
    /// The committed state each lock call read, per path and token. The state cannot change while we
    /// hold the lock, so a commit uses it to learn a node's previous ephemeral owner (a transaction
    /// cannot read) and an unlock to know that the node is absent (then the lock item is deleted
    /// instead of left behind). A miss only costs a read or leaves an empty lock item.
    /// </summary>
    private readonly ConcurrentDictionary<string, (LockToken Token, SystemNode? Node)> _lockReads = new(StringComparer.Ordinal);

    public DynamoSystemStorage(AwsClients clients, TimeProvider? time = null)
    {
        _db = clients.DynamoDb;
        _s3 = clients.S3;
        _settings = clients.Settings;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Why the last refused request was refused (diagnostics; the interface only has a bool).</summary>
    public string? LastRefusal { get; private set; }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static Dictionary<string, AttributeValue> NodeKey(string path) => new() { ["path"] = S(path) };

    private static Dictionary<string, AttributeValue> SessionKey(long id) => new() { ["sessionId"] = N(id) };

    private static SystemNode? ReadNode(string path, Dictionary<string, AttributeValue>? item) =>
        GetBytes(item, "stat") is { } stat
            ? new SystemNode(path, StorageCodec.DecodeStat(stat), StorageCodec.DecodeAcl(GetBytes(item, "acl") ?? []))
            : null;

    /// <summary>True when the deployment has no root node yet (bootstrap needed), as EmbeddedSystemStorage.IsEmpty.</summary>
    public async ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) =>
        await GetNodeAsync("/", cancellationToken).ConfigureAwait(false) is null;

    public async ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        long now = Now;
        try
        {
            var response = await _db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = _settings.NodesTable,
                Key = NodeKey(path),
                UpdateExpression = "SET #lockToken = :tok, #lockUntil = :until",
                // Free, lapsed (a crashed holder), or ours already (re-entrant: a batch locks a parent
                // once per request). Lapse uses this function's clock, as the embedded store does.
                ConditionExpression = "attribute_not_exists(#lockToken) OR #lockUntil <= :now OR #lockToken = :tok",
                ExpressionAttributeValues = new()
                {
                    [":tok"] = S(token.Value.ToString("N")),
                    [":until"] = N(now + (long)lease.TotalMilliseconds),
                    [":now"] = N(now),
                },
                // The node's committed state comes back in the same round trip (FaaSKeeper's lock+read).
                ReturnValues = ReturnValue.ALL_NEW,
            }), cancellationToken).ConfigureAwait(false);
            var node = ReadNode(path, response.Attributes);
            _lockReads[path] = (token, node);
            return new LockResult(true, node);
        }
        catch (ConditionalCheckFailedException)
        {
            return new LockResult(false, null);
        }
    }

    public async ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default)
    {
        bool knownAbsent = _lockReads.TryGetValue(path, out var read) && read.Token == token && read.Node is null;
        _lockReads.TryRemove(KeyValuePair.Create(path, read));
        var values = new Dictionary<string, AttributeValue> { [":tok"] = S(token.Value.ToString("N")) };
        try
        {
            if (knownAbsent)
            {
                // The lock item of a missing node: delete it rather than leave an empty item behind.
                await _db.DeleteItemAsync(Named(new DeleteItemRequest
                {
                    TableName = _settings.NodesTable,
                    Key = NodeKey(path),
                    ConditionExpression = "#lockToken = :tok AND attribute_not_exists(#stat)",
                    ExpressionAttributeValues = values,
                }), cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        catch (ConditionalCheckFailedException)
        {
            // Not ours any more, or the node exists after all: fall through to the plain release.
        }
        try
        {
            await _db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = _settings.NodesTable,
                Key = NodeKey(path),
                UpdateExpression = "REMOVE #lockToken, #lockUntil",
                // Only our own lock: a lapsed lock may have been taken by another writer since.
                ConditionExpression = "#lockToken = :tok",
                ExpressionAttributeValues = values,
            }), cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already released or taken over: nothing to do, as in the embedded store.
        }
    }

    /// <summary>
    /// A lower bound of the transaction items a request needs: its locked and written paths, the
    /// sessions it creates, closes or gives ephemerals, and the pending entry. (The owners of deleted
    /// ephemerals are known only from the previous states; <see cref="CommitAsync"/> counts exactly.)
    /// Lets a caller refuse an oversized request before locking more.
    /// </summary>
    public bool FitsOneCommit(CommitRequest request) => CountTransactionItems(request) <= MaxTransactionItems;

    /// <summary>How long a committed request's marker is kept (a day; SQS redelivers within minutes).</summary>
    private const long RequestMarkerLifetimeSeconds = 24 * 3600;

    private static string RequestMarker(ReplyAddress request) => $"req#{request.GatewayId}#{request.RequestId}";

    public async ValueTask<CommittedRequest?> FindCommittedAsync(ReplyAddress request, CancellationToken cancellationToken = default)
    {
        var marker = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.CountersTable,
            Key = new() { ["name"] = S(RequestMarker(request)) },
            ConsistentRead = true,
        }), cancellationToken).ConfigureAwait(false);
        if (GetLong(marker.Item, "value") is not { } zxid)
        {
            return null;
        }
        if (GetBytes(marker.Item, "failed") is { } failure)
        {
            // A request that failed validation: its outcome, to be answered again.
            return new CommittedRequest(zxid, StorageCodec.DecodeTxn(failure));
        }
        var pending = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.PendingTable,
            Key = new() { ["shard"] = S(Shard), ["zxid"] = N(zxid) },
            ConsistentRead = true,
        }), cancellationToken).ConfigureAwait(false);
        if (pending.Item is not { Count: > 0 } item)
        {
            return new CommittedRequest(zxid, null);
        }
        byte[] bytes = GetBytes(item, "txn")
            ?? await GetObjectAsync(GetString(item, "s3Key") ?? throw new InvalidDataException("Pending item has neither txn nor s3Key."), cancellationToken).ConfigureAwait(false);
        return new CommittedRequest(zxid, StorageCodec.DecodeTxn(bytes));
    }

    public async ValueTask<CommittedRequest?> RecordFailureAsync(Txn failed, CancellationToken cancellationToken = default)
    {
        if (failed.ReplyTo is not { } request)
        {
            return null;
        }
        try
        {
            await _db.PutItemAsync(new PutItemRequest
            {
                TableName = _settings.CountersTable,
                Item = new()
                {
                    ["name"] = S(RequestMarker(request)),
                    ["value"] = N(failed.Zxid),
                    ["failed"] = B(StorageCodec.EncodeTxn(failed)),
                    ["expiresAt"] = N(_time.GetUtcNow().ToUnixTimeSeconds() + RequestMarkerLifetimeSeconds),
                },
                // The request's first outcome stays: a commit (or failure) recorded before wins.
                ConditionExpression = "attribute_not_exists(#name)",
                ExpressionAttributeNames = new() { ["#name"] = "name" },
            }, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (ConditionalCheckFailedException)
        {
            // (Null if the marker has just expired: then this outcome is answered.)
            return await FindCommittedAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    public static int CountTransactionItems(CommitRequest request)
    {
        var paths = new HashSet<string>(request.LockedPaths, StringComparer.Ordinal);
        paths.UnionWith(request.Nodes.Select(n => n.Path));
        var sessions = new HashSet<long>();
        foreach (var write in request.Nodes)
        {
            if (write.NewState?.Stat.EphemeralOwner is > 0 and var owner)
            {
                sessions.Add(owner);
            }
        }
        if (request.CreatedSession is { } created)
        {
            sessions.Add(created.SessionId);
        }
        if (request.ClosedSession != 0)
        {
            sessions.Add(request.ClosedSession);
        }
        if (request.ClosingSession != 0)
        {
            sessions.Add(request.ClosingSession);
        }
        return paths.Count + sessions.Count + (request.Pending.ChangesState ? 1 : 0) + (request.Pending.ReplyTo is null ? 0 : 1);
    }

    public async ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default)
    {
        var applied = new bool[requests.Count];
        // Requests of a batch share the writer's token and may lock the same path (a parent, say).
        // Only the last request holding a path releases it; earlier ones keep it for the later ones,
        // whose condition would otherwise find the lock gone.
        var lastHolder = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < requests.Count; i++)
        {
            foreach (string path in requests[i].LockedPaths)
            {
                lastHolder[path] = i;
            }
        }
        // States committed by earlier requests of this batch (the previous state of later writes).
        var staged = new Dictionary<string, SystemNode?>(StringComparer.Ordinal);
        // Paths of requests that did not commit. The writer validated later requests against the
        // staged state of earlier ones, so a later request touching such a path may rest on a change
        // that never happened: it fails too. (After a lost lock its own condition fails anyway; after
        // a refusal for size the locks are still ours, so only this check stops it.)
        var failed = new HashSet<string>(StringComparer.Ordinal);
        // Sessions whose split close lost a part: its later parts, and above all the last one (which
        // deletes the session), must not commit, or the lost part's ephemerals would outlive it.
        var failedCloses = new HashSet<long>();
        for (int i = 0; i < requests.Count; i++)
        {
            var touched = requests[i].LockedPaths.Concat(requests[i].Nodes.Select(n => n.Path)).ToList();
            long closing = requests[i].ClosingSession != 0 ? requests[i].ClosingSession : requests[i].ClosedSession;
            if (touched.Any(failed.Contains) || (closing != 0 && failedCloses.Contains(closing)))
            {
                LastRefusal = $"zxid {requests[i].Pending.Zxid}: depends on an earlier request of the batch that did not commit";
                applied[i] = false;
            }
            else
            {
                applied[i] = await CommitOneAsync(requests[i], i, lastHolder, staged, cancellationToken).ConfigureAwait(false);
            }
            if (applied[i])
            {
                foreach (var write in requests[i].Nodes)
                {
                    staged[write.Path] = write.NewState;
                }
            }
            else
            {
                failed.UnionWith(touched);
                if (requests[i].ClosingSession != 0)
                {
                    failedCloses.Add(requests[i].ClosingSession);
                }
            }
        }
        // A path whose releasing request failed is still locked by us (by earlier requests that kept
        // it, or because the failure was elsewhere): release it, as the embedded store releases every
        // lock of the batch.
        foreach (var (path, holder) in lastHolder)
        {
            if (!applied[holder])
            {
                await UnlockAsync(path, requests[holder].Token, cancellationToken).ConfigureAwait(false);
            }
            else if (_lockReads.TryGetValue(path, out var read) && read.Token == requests[holder].Token)
            {
                _lockReads.TryRemove(KeyValuePair.Create(path, read));
            }
        }
        return applied;
    }

    private enum ItemKind
    {
        Lock,
        SessionMustExist,
        SessionVersion,
        Session,
        Pending,
        Request,
    }

    private async Task<bool> CommitOneAsync(CommitRequest request, int index, Dictionary<string, int> lastHolder, Dictionary<string, SystemNode?> staged, CancellationToken ct)
    {
        string? pendingKey = null;
        try
        {
            byte[]? txn = request.Pending.ChangesState ? StorageCodec.EncodeTxn(request.Pending) : null;
            if (txn is { Length: > InlinePendingLimit })
            {
                // A unique key per attempt: a refused or redelivered commit of the same zxid must
                // not overwrite (and then delete) the payload of the entry that did commit.
                pendingKey = $"payloads/pending/{request.Pending.Zxid}/{Guid.NewGuid():N}";
                await PutObjectAsync(pendingKey, txn, ct).ConfigureAwait(false);
            }
            for (int attempt = 0; ; attempt++)
            {
                var (items, kinds) = await BuildTransactionAsync(request, index, lastHolder, staged, txn, pendingKey, ct).ConfigureAwait(false);
                if (items.Count == 0)
                {
                    return true;
                }
                if (items.Count > MaxTransactionItems)
                {
                    // One ZooKeeper write must commit atomically, and DynamoDB cannot do that with more
                    // than 100 items: refuse the request as a whole (nothing written; its locks are
                    // released by the caller) rather than commit it in parts.
                    LastRefusal = $"zxid {request.Pending.Zxid}: {items.Count} items exceed TransactWriteItems' limit of {MaxTransactionItems}";
                    await DiscardPayloadAsync(pendingKey).ConfigureAwait(false);
                    return false;
                }
                try
                {
                    await _db.TransactWriteItemsAsync(new TransactWriteItemsRequest
                    {
                        TransactItems = items,
                        // Makes the SDK's own retry of a timed-out call idempotent (DynamoDB remembers
                        // the token 10 minutes): a commit that succeeded is not reported as a lost lock.
                        // A redelivered batch has a new lock token and a new request token, so it
                        // fails on the locks and on attribute_not_exists(zxid) instead.
                        ClientRequestToken = Guid.NewGuid().ToString(),
                    }, ct).ConfigureAwait(false);
                    return true;
                }
                catch (TransactionCanceledException ex)
                {
                    var reasons = ex.CancellationReasons ?? [];
                    bool conflict = false;
                    bool versionMoved = false;
                    for (int r = 0; r < reasons.Count && r < kinds.Count; r++)
                    {
                        switch (reasons[r].Code)
                        {
                            case "ConditionalCheckFailed" when kinds[r] == ItemKind.SessionVersion:
                                versionMoved = true;
                                break;
                            case "ConditionalCheckFailed":
                                // A lock lost (or lapsed), the owner session gone, or this zxid already
                                // pending (a redelivered commit): the request did not happen.
                                LastRefusal = $"zxid {request.Pending.Zxid}: condition failed on a {kinds[r]} item";
                                await DiscardPayloadAsync(pendingKey).ConfigureAwait(false);
                                return false;
                            case "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded":
                                conflict = true;
                                break;
                        }
                    }
                    if (!(conflict || versionMoved) || attempt >= 8)
                    {
                        throw;
                    }
                    // Another transaction touched one of our items at the same moment (a session's
                    // ephemeral set, typically): rebuild and try again after a short pause.
                    await Task.Delay(TimeSpan.FromMilliseconds(5 << attempt), ct).ConfigureAwait(false);
                }
            }
        }
        catch when (pendingKey is not null)
        {
            await TryDeleteObjectAsync(pendingKey).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The S3 payload of a request that did not commit: nothing points at it.</summary>
    private async Task DiscardPayloadAsync(string? key)
    {
        if (key is not null)
        {
            await TryDeleteObjectAsync(key).ConfigureAwait(false);
        }
    }

    private async Task<(List<TransactWriteItem> Items, List<ItemKind> Kinds)> BuildTransactionAsync(
        CommitRequest request, int index, Dictionary<string, int> lastHolder, Dictionary<string, SystemNode?> staged,
        byte[]? txn, string? pendingKey, CancellationToken ct)
    {
        var items = new List<TransactWriteItem>();
        var kinds = new List<ItemKind>();
        string token = request.Token.Value.ToString("N");
        var now = N(Now);
        var locked = new HashSet<string>(request.LockedPaths, StringComparer.Ordinal);
        var writes = new Dictionary<string, SystemNodeWrite>(StringComparer.Ordinal);
        foreach (var write in request.Nodes)
        {
            writes[write.Path] = write;
        }
        var adds = new Dictionary<long, SortedSet<string>>();
        var removes = new Dictionary<long, SortedSet<string>>();
        // What this request changes in mntr's counts (znode_count, approximate_data_size as ZooKeeper's
        // DataTree counts it: path length + data length per node, ephemerals_count), carried by the
        // pending entry and added to the stats item when the distributor pops it (exactly once).
        long nodesDelta = 0, bytesDelta = 0, ephemeralsDelta = 0;

        foreach (string path in locked.Concat(writes.Keys.Where(p => !locked.Contains(p))))
        {
            bool isLocked = locked.Contains(path);
            bool release = isLocked && lastHolder.TryGetValue(path, out int holder) && holder == index;
            var values = new Dictionary<string, AttributeValue>();
            string? condition = null;
            if (isLocked)
            {
                // Still ours and not lapsed, as the embedded store checks: past its lease a lock may be
                // taken by another writer at any moment, so a late commit must not count on it.
                condition = "#lockToken = :tok AND #lockUntil > :now";
                values[":tok"] = S(token);
                values[":now"] = now;
            }
            SystemNode? previous = null;
            if (writes.TryGetValue(path, out var write) || (release && isLocked))
            {
                previous = await PreviousStateAsync(path, request.Token, staged, ct).ConfigureAwait(false);
            }
            if (write is not null)
            {
                nodesDelta += (write.NewState is null ? 0 : 1) - (previous is null ? 0 : 1);
                bytesDelta += (write.NewState is { } after ? path.Length + after.Stat.DataLength : 0)
                    - (previous is { } before ? path.Length + before.Stat.DataLength : 0);
                ephemeralsDelta += (write.NewState?.Stat.EphemeralOwner > 0 ? 1 : 0) - (previous?.Stat.EphemeralOwner > 0 ? 1 : 0);
                long oldOwner = previous?.Stat.EphemeralOwner ?? 0;
                long newOwner = write.NewState?.Stat.EphemeralOwner ?? 0;
                if (oldOwner != newOwner)
                {
                    // Negative owners mark containers and TTL nodes, not sessions.
                    if (oldOwner > 0)
                    {
                        Track(removes, oldOwner, path);
                    }
                    if (newOwner > 0)
                    {
                        Track(adds, newOwner, path);
                    }
                }
            }

            if (write?.NewState is { } state)
            {
                values[":st"] = B(StorageCodec.EncodeStat(state.Stat));
                values[":acl"] = B(StorageCodec.EncodeAcl(state.Acl));
                // Containers and TTL nodes (negative owner markers) go into the reap index; an owner
                // never changes while a node lives, and a deleted node's item loses the attribute.
                bool reapable = state.Stat.EphemeralOwner < 0;
                if (reapable)
                {
                    values[":reap"] = S(Shard);
                }
                items.Add(new TransactWriteItem
                {
                    Update = Named(new Update
                    {
                        TableName = _settings.NodesTable,
                        Key = NodeKey(path),
                        UpdateExpression = "SET #stat = :st, #acl = :acl" + (reapable ? ", #reapShard = :reap" : "") + (release ? " REMOVE #lockToken, #lockUntil" : ""),
                        ConditionExpression = condition,
                        ExpressionAttributeValues = values,
                    }),
                });
            }
            else if (write is not null || (release && previous is null))
            {
                if (release || !isLocked)
                {
                    // Node deleted (or a lock of a missing node released): the whole item goes.
                    items.Add(new TransactWriteItem
                    {
                        Delete = Named(new Delete
                        {
                            TableName = _settings.NodesTable,
                            Key = NodeKey(path),
                            ConditionExpression = condition,
                            ExpressionAttributeValues = values.Count > 0 ? values : null,
                        }),
                    });
                }
                else
                {
                    // Deleted, but a later request of the batch still holds the lock: keep the lock item.
                    items.Add(new TransactWriteItem
                    {
                        Update = Named(new Update
                        {
                            TableName = _settings.NodesTable,
                            Key = NodeKey(path),
                            UpdateExpression = "REMOVE #stat, #acl, #reapShard",
                            ConditionExpression = condition,
                            ExpressionAttributeValues = values,
                        }),
                    });
                }
            }
            else if (release)
            {
                items.Add(new TransactWriteItem
                {
                    Update = Named(new Update
                    {
                        TableName = _settings.NodesTable,
                        Key = NodeKey(path),
                        UpdateExpression = "REMOVE #lockToken, #lockUntil",
                        ConditionExpression = condition,
                        ExpressionAttributeValues = values,
                    }),
                });
            }
            else
            {
                // Read (validated against) but neither written nor released here: the request still
                // depends on holding it.
                items.Add(new TransactWriteItem
                {
                    ConditionCheck = Named(new ConditionCheck
                    {
                        TableName = _settings.NodesTable,
                        Key = NodeKey(path),
                        ConditionExpression = condition!,
                        ExpressionAttributeValues = values,
                    }),
                });
            }
            kinds.Add(ItemKind.Lock);
        }

        // Session items: DynamoDB allows one action per item in a transaction, so every change to one
        // session (created, closed, ephemerals added or removed) is merged into one action.
        var sessions = new SortedSet<long>(adds.Keys.Concat(removes.Keys));
        if (request.CreatedSession is { } created)
        {
            sessions.Add(created.SessionId);
        }
        if (request.ClosedSession != 0)
        {
            sessions.Add(request.ClosedSession);
        }
        if (request.ClosingSession != 0)
        {
            sessions.Add(request.ClosingSession);
        }
        foreach (long id in sessions)
        {
            var added = adds.GetValueOrDefault(id);
            var removed = removes.GetValueOrDefault(id);
            if (id == request.ClosingSession && id != request.ClosedSession)
            {
                // A part of a split close: the session becomes closing (no new ephemerals: see the ADD
                // below), loses this part's ephemerals, and records the part, which a writer processing
                // the close again distributes if it is still pending (GetPendingClosePartsAsync).
                var values = new Dictionary<string, AttributeValue>
                {
                    [":yes"] = new AttributeValue { BOOL = true },
                    [":one"] = N(1),
                    [":z"] = new AttributeValue { NS = [request.Pending.Zxid.ToString(System.Globalization.CultureInfo.InvariantCulture)] },
                };
                string update = "SET #closing = :yes ADD #ephSeq :one, #closeParts :z";
                if (removed is { Count: > 0 })
                {
                    update += " DELETE #ephemerals :p";
                    values[":p"] = SS(removed);
                }
                items.Add(new TransactWriteItem
                {
                    Update = Named(new Update
                    {
                        TableName = _settings.SessionsTable,
                        Key = SessionKey(id),
                        UpdateExpression = update,
                        // Closed meanwhile (a redelivered close already finished it): nothing to split.
                        ConditionExpression = "attribute_exists(#password)",
                        ExpressionAttributeValues = values,
                    }),
                });
                kinds.Add(ItemKind.SessionMustExist);
            }
            else if (id == request.ClosedSession)
            {
                // The session and its ephemeral set go together (its ephemerals are deleted above).
                items.Add(new TransactWriteItem { Delete = new Delete { TableName = _settings.SessionsTable, Key = SessionKey(id) } });
                kinds.Add(ItemKind.Session);
            }
            else if (request.CreatedSession is { } session && id == session.SessionId)
            {
                var item = SessionKey(id);
                item["password"] = B(session.Password);
                item["timeoutMs"] = N(session.TimeoutMs);
                if (added is { Count: > 0 })
                {
                    item["ephemerals"] = SS(added);
                }
                // Unconditional, as the embedded store's INSERT OR REPLACE: a re-created session is the same session.
                items.Add(new TransactWriteItem { Put = new Put { TableName = _settings.SessionsTable, Item = item } });
                kinds.Add(ItemKind.Session);
            }
            else if (added is { Count: > 0 } && removed is { Count: > 0 })
            {
                // ADD and DELETE on one attribute in one expression is rejected ("document paths
                // overlap"), so write the whole new set, conditional on the version we read.
                var (item, exists) = await ReplaceEphemeralsAsync(id, added, removed, ct).ConfigureAwait(false);
                items.Add(item);
                // A missing session fails the condition for good (refuse), a moved version only until rebuilt.
                kinds.Add(exists ? ItemKind.SessionVersion : ItemKind.SessionMustExist);
            }
            else if (added is { Count: > 0 })
            {
                items.Add(new TransactWriteItem
                {
                    Update = Named(new Update
                    {
                        TableName = _settings.SessionsTable,
                        Key = SessionKey(id),
                        UpdateExpression = "ADD #ephemerals :p, #ephSeq :one",
                        // An ephemeral needs a live owner, not one being closed in parts; without this
                        // the update would create a session item out of nothing.
                        ConditionExpression = "attribute_exists(#password) AND attribute_not_exists(#closing)",
                        ExpressionAttributeValues = new() { [":p"] = SS(added), [":one"] = N(1) },
                    }),
                });
                kinds.Add(ItemKind.SessionMustExist);
            }
            else if (removed is { Count: > 0 })
            {
                // Unconditional: removing a gone session's ephemeral must not fail the delete (at worst
                // it leaves a key-only item, which readers ignore: no password, no session).
                items.Add(new TransactWriteItem
                {
                    Update = Named(new Update
                    {
                        TableName = _settings.SessionsTable,
                        Key = SessionKey(id),
                        UpdateExpression = "DELETE #ephemerals :p ADD #ephSeq :one",
                        ExpressionAttributeValues = new() { [":p"] = SS(removed), [":one"] = N(1) },
                    }),
                });
                kinds.Add(ItemKind.Session);
            }
        }

        if (txn is not null)
        {
            var item = new Dictionary<string, AttributeValue>
            {
                ["shard"] = S(Shard),
                ["zxid"] = N(request.Pending.Zxid),
            };
            if (pendingKey is not null)
            {
                item["s3Key"] = S(pendingKey);
            }
            else
            {
                item["txn"] = B(txn);
            }
            foreach (var (name, delta) in new[] { ("dNodes", nodesDelta), ("dBytes", bytesDelta), ("dEphemerals", ephemeralsDelta) })
            {
                if (delta != 0)
                {
                    item[name] = N(delta);
                }
            }
            items.Add(new TransactWriteItem
            {
                Put = Named(new Put
                {
                    TableName = _settings.PendingTable,
                    Item = item,
                    // A zxid is pending once: a redelivered commit fails here rather than apply twice.
                    ConditionExpression = "attribute_not_exists(#zxid)",
                }),
            });
            kinds.Add(ItemKind.Pending);
        }
        if (request.Pending.ReplyTo is { } replyTo)
        {
            // The request's marker: a request committed once fails here when it comes again (its
            // writer batch redelivered after a crash), and FindCommittedAsync finds what it became.
            items.Add(new TransactWriteItem
            {
                Put = Named(new Put
                {
                    TableName = _settings.CountersTable,
                    Item = new()
                    {
                        ["name"] = S(RequestMarker(replyTo)),
                        ["value"] = N(request.Pending.Zxid),
                        // DynamoDB's TTL (seconds): kept well past SQS's redelivery and deduplication windows.
                        ["expiresAt"] = N(_time.GetUtcNow().ToUnixTimeSeconds() + RequestMarkerLifetimeSeconds),
                    },
                    ConditionExpression = "attribute_not_exists(#name)",
                }),
            });
            kinds.Add(ItemKind.Request);
        }
        return (items, kinds);
    }

    private static void Track(Dictionary<long, SortedSet<string>> sets, long owner, string path)
    {
        if (!sets.TryGetValue(owner, out var set))
        {
            sets[owner] = set = new SortedSet<string>(StringComparer.Ordinal);
        }
        set.Add(path);
    }

    /// <summary>A node's state before this request: staged by an earlier request, read by our lock, or read now (we hold the lock, so it cannot change).</summary>
    private async ValueTask<SystemNode?> PreviousStateAsync(string path, LockToken token, Dictionary<string, SystemNode?> staged, CancellationToken ct)
    {
        if (staged.TryGetValue(path, out var node))
        {
            return node;
        }
        if (_lockReads.TryGetValue(path, out var read) && read.Token == token)
        {
            return read.Node;
        }
        return await GetNodeAsync(path, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A session's ephemeral set rewritten whole: the set and its version <c>ephSeq</c> are read, and
    /// the write is conditional on the version, so a concurrent change to another path of the set
    /// cancels the transaction (it is then rebuilt) instead of being lost.
    /// </summary>
    private async Task<(TransactWriteItem Item, bool SessionExists)> ReplaceEphemeralsAsync(long id, SortedSet<string> added, SortedSet<string> removed, CancellationToken ct)
    {
        var response = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.SessionsTable,
            Key = SessionKey(id),
            ConsistentRead = true,
            ProjectionExpression = "#ephemerals, #ephSeq, #password",
        }), ct).ConfigureAwait(false);
        var set = new SortedSet<string>(GetStringSet(response.Item, "ephemerals"), StringComparer.Ordinal);
        set.UnionWith(added);
        set.ExceptWith(removed);
        long? version = GetLong(response.Item, "ephSeq");
        var values = new Dictionary<string, AttributeValue> { [":one"] = N(1) };
        string condition = "attribute_exists(#password) AND attribute_not_exists(#closing) AND ";
        if (version is { } v)
        {
            condition += "#ephSeq = :seq";
            values[":seq"] = N(v);
        }
        else
        {
            condition += "attribute_not_exists(#ephSeq)";
        }
        string update;
        if (set.Count > 0)
        {
            update = "SET #ephemerals = :set ADD #ephSeq :one";
            values[":set"] = SS(set);
        }
        else
        {
            // A DynamoDB set cannot be empty: no ephemerals is no attribute.
            update = "REMOVE #ephemerals ADD #ephSeq :one";
        }
        var replace = new TransactWriteItem
        {
            Update = Named(new Update
            {
                TableName = _settings.SessionsTable,
                Key = SessionKey(id),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeValues = values,
            }),
        };
        return (replace, GetBytes(response.Item, "password") is not null);
    }

    public async ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        // ADD is atomic on the server: concurrent increments never return the same value.
        var response = await _db.UpdateItemAsync(Named(new UpdateItemRequest
        {
            TableName = _settings.CountersTable,
            Key = new() { ["name"] = S(name) },
            UpdateExpression = "ADD #v :one",
            ExpressionAttributeNames = new() { ["#v"] = "value" },
            ExpressionAttributeValues = new() { [":one"] = N(1) },
            ReturnValues = ReturnValue.UPDATED_NEW,
        }), cancellationToken).ConfigureAwait(false);
        return GetLong(response.Attributes, "value") ?? throw new InvalidOperationException($"Counter {name} returned no value.");
    }

    public async ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(new GetItemRequest
        {
            TableName = _settings.CountersTable,
            Key = new() { ["name"] = S(name) },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return GetLong(response.Item, "value") ?? 0;
    }

    /// <summary>Sets a counter (the zxid counter starts at epoch &lt;&lt; 32), as EmbeddedSystemStorage.SetCounter.</summary>
    public async ValueTask SetCounterAsync(string name, long value, CancellationToken cancellationToken = default)
    {
        await _db.PutItemAsync(new PutItemRequest
        {
            TableName = _settings.CountersTable,
            Item = new() { ["name"] = S(name), ["value"] = N(value) },
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.NodesTable,
            Key = NodeKey(path),
            ConsistentRead = true,
            ProjectionExpression = "#stat, #acl",
        }), cancellationToken).ConfigureAwait(false);
        return ReadNode(path, response.Item);
    }

    public async ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default)
    {
        var items = await QueryAllAsync(_db, Named(new QueryRequest
        {
            TableName = _settings.PendingTable,
            KeyConditionExpression = "#shard = :s",
            ExpressionAttributeValues = new() { [":s"] = S(Shard) },
            ConsistentRead = true,
            ScanIndexForward = true,
        }), cancellationToken).ConfigureAwait(false);
        var txns = new List<Txn>(items.Count);
        foreach (var item in items)
        {
            byte[] bytes = GetBytes(item, "txn")
                ?? await GetObjectAsync(GetString(item, "s3Key") ?? throw new InvalidDataException("Pending item has neither txn nor s3Key."), cancellationToken).ConfigureAwait(false);
            txns.Add(StorageCodec.DecodeTxn(bytes));
        }
        return txns;
    }

    public async ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default)
    {
        var items = await QueryAllAsync(_db, Named(new QueryRequest
        {
            TableName = _settings.PendingTable,
            KeyConditionExpression = "#shard = :s AND #zxid <= :z",
            ExpressionAttributeValues = new() { [":s"] = S(Shard), [":z"] = N(zxid) },
            ProjectionExpression = "#shard, #zxid, #s3Key, #dNodes, #dBytes, #dEphemerals",
            ConsistentRead = true,
        }), cancellationToken).ConfigureAwait(false);
        // The counts first, then the deletes: a crash in between leaves the entries, and the stats
        // item's upTo makes their second count a no-op.
        await AddStatisticsAsync(items, cancellationToken).ConfigureAwait(false);
        var deletes = items.Select(item => new DynamoWrite
        {
            DeleteRequest = new DeleteRequest { Key = new() { ["shard"] = item["shard"], ["zxid"] = item["zxid"] } },
        }).ToList();
        await BatchWriteAllAsync(_db, _settings.PendingTable, deletes, cancellationToken).ConfigureAwait(false);
        foreach (var item in items)
        {
            if (GetString(item, "s3Key") is { } key)
            {
                await TryDeleteObjectAsync(key).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The counters item holding mntr's tree counts (<c>nodes</c>, <c>bytes</c>, <c>ephemerals</c>, <c>upTo</c>).</summary>
    public const string StatisticsCounter = "stats";

    /// <summary>The highest zxid whose deltas this process knows to be in the stats item (-1: unknown).</summary>
    private long _statsUpTo = -1;

    /// <summary>
    /// Adds the popped entries' deltas to the stats item in one UpdateItem, conditional on its
    /// <c>upTo</c> being below every entry counted: entries are popped in zxid order, so everything at
    /// or below <c>upTo</c> has been counted, and a pop repeated after a crash counts nothing twice.
    /// </summary>
    private async Task AddStatisticsAsync(List<Dictionary<string, AttributeValue>> items, CancellationToken ct)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            long upTo = Volatile.Read(ref _statsUpTo);
            var fresh = items.Where(i => GetLong(i, "zxid") > upTo).ToList();
            if (fresh.Count == 0)
            {
                return;
            }
            long nodes = fresh.Sum(i => GetLong(i, "dNodes") ?? 0);
            long bytes = fresh.Sum(i => GetLong(i, "dBytes") ?? 0);
            long ephemerals = fresh.Sum(i => GetLong(i, "dEphemerals") ?? 0);
            long first = fresh.Min(i => GetLong(i, "zxid") ?? 0);
            long last = fresh.Max(i => GetLong(i, "zxid") ?? 0);
            if (nodes == 0 && bytes == 0 && ephemerals == 0)
            {
                // Nothing to add (setData of the same size, a failed write): no call.
                return;
            }
            try
            {
                await _db.UpdateItemAsync(Named(new UpdateItemRequest
                {
                    TableName = _settings.CountersTable,
                    Key = new() { ["name"] = S(StatisticsCounter) },
                    UpdateExpression = "ADD #nodes :n, #bytes :b, #ephemerals :e SET #upTo = :last",
                    ConditionExpression = "attribute_not_exists(#upTo) OR #upTo < :first",
                    ExpressionAttributeValues = new() { [":n"] = N(nodes), [":b"] = N(bytes), [":e"] = N(ephemerals), [":last"] = N(last), [":first"] = N(first) },
                }), ct).ConfigureAwait(false);
                Volatile.Write(ref _statsUpTo, last);
                return;
            }
            catch (ConditionalCheckFailedException)
            {
                // Counted (partly) before, by this or another distributor instance: learn how far.
                var stored = await _db.GetItemAsync(Named(new GetItemRequest
                {
                    TableName = _settings.CountersTable,
                    Key = new() { ["name"] = S(StatisticsCounter) },
                    ConsistentRead = true,
                    ProjectionExpression = "#upTo",
                }), ct).ConfigureAwait(false);
                Volatile.Write(ref _statsUpTo, GetLong(stored.Item, "upTo") ?? -1);
            }
        }
    }

    /// <summary>
    /// mntr's counts of the tree as the distributor has applied it: nodes, approximate data size (path +
    /// data lengths, as ZooKeeper's DataTree) and ephemerals. One eventually consistent GetItem.
    /// </summary>
    public async ValueTask<TreeStatistics?> ReadTreeStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.CountersTable,
            Key = new() { ["name"] = S(StatisticsCounter) },
            ProjectionExpression = "#nodes, #bytes, #ephemerals",
        }), cancellationToken).ConfigureAwait(false);
        return new TreeStatistics(GetLong(response.Item, "nodes") ?? 0, GetLong(response.Item, "bytes") ?? 0, GetLong(response.Item, "ephemerals") ?? 0);
    }

    public async ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.SessionsTable,
            Key = SessionKey(sessionId),
            ConsistentRead = true,
            ProjectionExpression = "#sessionId, #password, #timeoutMs",
        }), cancellationToken).ConfigureAwait(false);
        return ReadSession(response.Item);
    }

    /// <summary>A session record, or null for a missing item or a key-only leftover (no password).</summary>
    private static SessionRecord? ReadSession(Dictionary<string, AttributeValue>? item) =>
        GetBytes(item, "password") is { } password && GetLong(item, "sessionId") is { } id
            ? new SessionRecord(id, password, (int)(GetLong(item, "timeoutMs") ?? 0))
            : null;

    public async ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default)
    {
        var items = await ScanAllAsync(_db, Named(new ScanRequest
        {
            TableName = _settings.SessionsTable,
            ConsistentRead = true,
            ProjectionExpression = "#sessionId, #password, #timeoutMs",
        }), cancellationToken).ConfigureAwait(false);
        return [.. items.Select(ReadSession).OfType<SessionRecord>()];
    }

    public async ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.SessionsTable,
            Key = SessionKey(sessionId),
            ConsistentRead = true,
            ProjectionExpression = "#ephemerals",
        }), cancellationToken).ConfigureAwait(false);
        var paths = GetStringSet(response.Item, "ephemerals");
        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    /// <summary>
    /// The container and TTL nodes, from the sparse reap index (one Query, paginated). The index is
    /// eventually consistent: a node created a moment ago may be missing (the next pass finds it) and
    /// one deleted a moment ago may still be listed (the reaper reads each candidate consistently).
    /// </summary>
    public async ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default)
    {
        var items = await QueryAllAsync(_db, Named(new QueryRequest
        {
            TableName = _settings.NodesTable,
            IndexName = ReapIndex,
            KeyConditionExpression = "#reapShard = :s",
            ExpressionAttributeValues = new() { [":s"] = S(Shard) },
            ProjectionExpression = "#path",
        }), cancellationToken).ConfigureAwait(false);
        return [.. items.Select(item => GetString(item, "path")).OfType<string>()];
    }

    public async ValueTask<IReadOnlyList<Txn>> GetPendingClosePartsAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        var response = await _db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _settings.SessionsTable,
            Key = SessionKey(sessionId),
            ConsistentRead = true,
            ProjectionExpression = "#closeParts",
        }), cancellationToken).ConfigureAwait(false);
        if (response.Item?.GetValueOrDefault("closeParts")?.NS is not { Count: > 0 } parts)
        {
            return [];
        }
        var txns = new List<Txn>(parts.Count);
        foreach (long zxid in parts.Select(z => long.Parse(z, System.Globalization.CultureInfo.InvariantCulture)).Order())
        {
            var pending = await _db.GetItemAsync(Named(new GetItemRequest
            {
                TableName = _settings.PendingTable,
                Key = new() { ["shard"] = S(Shard), ["zxid"] = N(zxid) },
                ConsistentRead = true,
            }), cancellationToken).ConfigureAwait(false);
            // Gone from the pending list: distributed already.
            if (pending.Item is { Count: > 0 } item)
            {
                byte[] bytes = GetBytes(item, "txn")
                    ?? await GetObjectAsync(GetString(item, "s3Key") ?? throw new InvalidDataException("Pending item has neither txn nor s3Key."), cancellationToken).ConfigureAwait(false);
                txns.Add(StorageCodec.DecodeTxn(bytes));
            }
        }
        return txns;
    }

    public async ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default)
    {
        var items = await ScanAllAsync(_db, Named(new ScanRequest
        {
            TableName = _settings.SessionsTable,
            ConsistentRead = true,
            ProjectionExpression = "#ephemerals",
        }), cancellationToken).ConfigureAwait(false);
        return items.Sum(item => GetStringSet(item, "ephemerals").Count);
    }

    public async ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default)
    {
        try
        {
            await _db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = _settings.SessionsTable,
                Key = SessionKey(sessionId),
                UpdateExpression = "SET #timeoutMs = :t",
                // A missing session stays missing (the embedded store ignores it too).
                ConditionExpression = "attribute_exists(#password)",
                ExpressionAttributeValues = new() { [":t"] = N(timeoutMs) },
            }), cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
        }
    }

    private async Task PutObjectAsync(string key, byte[] bytes, CancellationToken ct)
    {
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _settings.BucketName,
            Key = key,
            InputStream = new MemoryStream(bytes, writable: false),
            UseChunkEncoding = !_settings.S3DisableChunkEncoding,
        }, ct).ConfigureAwait(false);
    }

    private async Task<byte[]> GetObjectAsync(string key, CancellationToken ct)
    {
        using var response = await _s3.GetObjectAsync(_settings.BucketName, key, ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private async Task TryDeleteObjectAsync(string key)
    {
        try
        {
            await _s3.DeleteObjectAsync(_settings.BucketName, key).ConfigureAwait(false);
        }
        catch (AmazonS3Exception)
        {
            // Best effort: an orphaned payload costs storage, not correctness (nothing points at it).
        }
    }
}
