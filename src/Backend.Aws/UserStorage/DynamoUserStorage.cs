using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// FaaSKeeper's "key-value" (hybrid) user storage: one item per node in the <c>D-data</c> table
/// (key <c>path</c>) with its Stat and ACL (Jute binary, as <see cref="S3UserStorage"/> writes them),
/// its data, and its child names as a string set. Data that would make the item larger than
/// <see cref="DefaultItemLimit"/> goes to S3, each version under its own key
/// (<see cref="DataKey(string, long)"/>), and the item holds that key (<c>dataRef</c>); ZooKeeper allows
/// ~1 MB values, DynamoDB items at most 400 KB.
/// <para>
/// A batch may be applied more than once, and late: by two instances at once, or by one that stalled
/// while the next writer applied it and went on. So every item write is conditional on the item's
/// write stamp (<c>z</c>, <see cref="WriteStampOf"/>) being older than the write's, and sets it: a write already
/// made, or overtaken by a newer batch's, changes nothing and is skipped. Deletes leave tombstones (the
/// key and the write stamp) so that a late create cannot bring a node back; readers take an item without
/// <c>stat</c> for no node. Tombstones are kept: removing one is safe only once no late applier of an
/// older batch can exist.
/// </para>
/// <para>
/// Child lists are changed with UpdateItem ADD/DELETE on the set, never rewritten: the distributor
/// needs no copy of a parent (S3UserStorage reads it back or keeps a cache) and no read before a
/// create, and nothing it holds can go stale when another instance (a different Lambda execution
/// environment) applied the previous batch. A create is recognised by its Stat (czxid equals the
/// transaction's zxid), so a setData never touches its parent. The cost is one more UpdateItem when a
/// batch both adds and removes children of one parent (DynamoDB refuses ADD and DELETE of one set in
/// one update).
/// </para>
/// <para>
/// Same visibility rules as S3UserStorage: within a batch, changed nodes are written deepest first
/// (a child's item exists before its parent lists it), deletions last and shallowest first (a parent
/// stops listing a child before the child goes). Reads are ConsistentRead GetItems.
/// </para>
/// </summary>
public sealed partial class DynamoUserStorage : IAwsUserStorage
{
    /// <summary>Largest item this store writes with inline data; DynamoDB's own limit is 400 KB.</summary>
    public const int DefaultItemLimit = 350 * 1024;

    private const int DataObjectFormat = 1;
    private const string PathAttr = "path";
    private const string StatAttr = "stat";
    private const string AclAttr = "acl";
    private const string DataAttr = "data";
    private const string DataRefAttr = "dataRef";

    /// <summary>
    /// Present (true) on a node whose data is null (ZooKeeper keeps a create or setData sent with a -1
    /// buffer as null); such an item has neither <c>data</c> nor <c>dataRef</c>. An item with none of
    /// the three has empty data.
    /// </summary>
    private const string NullDataAttr = "nullData";
    private const string ChildrenAttr = "children";

    /// <summary>
    /// A container's or TTL node's owner marker (<see cref="NodeChange.KindMarker"/>), a number, on
    /// those items only, with the reap index's key (<see cref="DynamoReapIndex.Attribute"/>): the Stat
    /// kept here is the one clients see, and the gateway write path's writer and reaper need the kind.
    /// Written with the item's creation; an owner never changes while a node lives, and later updates
    /// keep the item's other attributes.
    /// </summary>
    internal const string KindMarkerAttr = "kindMarker";

    /// <summary>The epoch stamp (<see cref="EpochStamp"/>, its text form), on nodes written while triggers were in flight.</summary>
    private const string EpochAttr = "epoch";

    /// <summary>The write stamp of the last write step applied to the item (<see cref="WriteStampOf"/>), a number.</summary>
    private const string WriteStampAttr = "z";

    /// <summary>
    /// The zxid of a batch whose one writer-only node (<see cref="NodeChange.DataWithWriterOnly"/>) another
    /// writer fenced off, unwritten, at that batch's write stamp: the batch is aborted (<see cref="FenceUnwrittenAsync"/>).
    /// </summary>
    private const string FenceAttr = "fence";

    /// <summary>A write with write stamp <c>:z</c> goes through only if the item has seen no write as new or newer.</summary>
    private const string Fenced = "(attribute_not_exists(#z) OR #z < :z)";

    /// <summary>An update must also never bring a node into being with only some of its attributes.</summary>
    private const string FencedUpdate = "attribute_exists(#stat) AND " + Fenced;

    /// <summary>Bytes a write stamp can take in an item: its name and up to 20 digits.</summary>
    private const int WriteStampSize = 1 + 20;

    private readonly IAmazonDynamoDB _dynamo;
    private readonly IAmazonS3 _s3;
    private readonly string _table;
    private readonly string _bucket;
    private readonly bool _disableChunkEncoding;
    private readonly int _itemLimit;
    private readonly AppliedMarker _applied;
    private readonly string _countersTable;

    public DynamoUserStorage(IAmazonDynamoDB dynamo, IAmazonS3 s3, string table, string bucket, string countersTable, bool disableChunkEncoding = false, int itemLimit = DefaultItemLimit)
    {
        _dynamo = dynamo;
        _s3 = s3;
        _table = table;
        _bucket = bucket;
        _disableChunkEncoding = disableChunkEncoding;
        _itemLimit = itemLimit;
        _applied = new AppliedMarker(dynamo, countersTable);
        _countersTable = countersTable;
    }

    public long AppliedZxid => _applied.Zxid;

    public void ObserveZxid(long zxid) => _applied.Observe(zxid);

    public ValueTask<long> RefreshAppliedZxidAsync(CancellationToken cancellationToken = default) => _applied.RefreshAsync(cancellationToken);

    /// <summary>
    /// Whether an apply raises the applied marker (the queue path: a redelivered distributor batch is
    /// recognised by it, and late interest registrations are reported by its raise). The gateway write
    /// path keeps no marker: its writes are ordered by the head, registrations included, and a batch
    /// found at the head is told applied by its items' write stamps (<see cref="IsAppliedAsync"/>).
    /// </summary>
    public bool RaisesAppliedMarker { get; init; } = true;

    /// <summary>
    /// Whether every item the batch writes carries its write stamp or a newer one: the batch's node
    /// writes are all made. A batch that writes no node cannot be told (false). Consistent reads of
    /// the write stamps only, 100 keys a call.
    /// </summary>
    public async ValueTask<bool> IsAppliedAsync(IReadOnlyList<Txn> txns, CancellationToken cancellationToken = default)
    {
        var plans = PlanBatch(txns, out _);
        if (plans.Count == 0)
        {
            return false;
        }
        var expected = plans.ToDictionary(p => p.Key, p => StampNumber(p.Value.Zxid, 0), StringComparer.Ordinal);
        var items = await BatchGetAsync(expected.Keys, "#p, #z", new() { ["#p"] = PathAttr, ["#z"] = WriteStampAttr }, cancellationToken).ConfigureAwait(false);
        // An item not there at all was not written.
        return items.Count == expected.Count
            && items.All(item => GetString(item, PathAttr) is { } path && StampOf(item) >= expected[path]);
    }

    /// <summary>
    /// Consistent reads of the items at <paramref name="paths"/> (those that exist), projected, in
    /// BatchGetItem calls of 100 keys (its limit); throttled keys are asked for again after a back-off.
    /// </summary>
    private async ValueTask<List<Dictionary<string, AttributeValue>>> BatchGetAsync(IEnumerable<string> paths, string projection, Dictionary<string, string> names, CancellationToken ct)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        foreach (var chunk in paths.Chunk(100))
        {
            var pending = new Dictionary<string, KeysAndAttributes>
            {
                [_table] = new KeysAndAttributes
                {
                    Keys = [.. chunk.Select(p => new Dictionary<string, AttributeValue> { [PathAttr] = S(p) })],
                    ConsistentRead = true,
                    ProjectionExpression = projection,
                    ExpressionAttributeNames = names,
                },
            };
            for (int attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(attempt, 6))), ct).ConfigureAwait(false);
                }
                var response = await _dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = pending }, ct).ConfigureAwait(false);
                items.AddRange(response.Responses?.GetValueOrDefault(_table) ?? []);
                pending = response.UnprocessedKeys is { Count: > 0 } unprocessed ? unprocessed : [];
            }
        }
        return items;
    }

    public int NodeCount => 0;

    public long ApproximateDataSize => 0;

    /// <summary>
    /// The S3 key of a node's spilled data as of <paramref name="mzxid"/>. One key per version: a late
    /// applier of an older batch that writes its version again cannot touch the newer one an item
    /// points to. (It can leave an object nothing points to, as can a crash between the object's write
    /// and the item's: storage only.)
    /// </summary>
    public static string DataKey(string path, long mzxid) => $"{LegacyDataKey(path)}@{mzxid:x16}";

    /// <summary>The key spilled data had before it was versioned (the key S3UserStorage uses for the whole node); items may still point to it.</summary>
    public static string LegacyDataKey(string path) => S3UserStorage.Key(path);

    /// <summary>
    /// The write stamp of a write to one item: 2 × the highest zxid among the batch's transactions that touch
    /// it, + the step (1 for the second UpdateItem of a batch that both removes and adds children of
    /// the node, removals first; 0 otherwise). Increasing over batches, whose zxids do, and over the
    /// steps to one item within a batch. Unsigned: twice a zxid of an epoch past 2^30 overflows a long.
    /// </summary>
    internal static AttributeValue WriteStampOf(long zxid, int step) => new() { N = StampNumber(zxid, step).ToString(CultureInfo.InvariantCulture) };

    /// <summary>The write stamp as a number (<see cref="WriteStampOf"/>).</summary>
    private static ulong StampNumber(long zxid, int step) => (ulong)zxid * 2 + (ulong)step;

    public async ValueTask<T> ReadAsync<T>(string path, Func<UserNode?, long, T> read, CancellationToken cancellationToken = default)
    {
        var node = await GetNodeAsync(path, cancellationToken).ConfigureAwait(false);
        if (node is not null)
        {
            ObserveZxid(Math.Max(node.Stat.Mzxid, node.Stat.Pzxid));
        }
        return read(node, AppliedZxid);
    }

    private async ValueTask<UserNode?> GetNodeAsync(string path, CancellationToken ct)
    {
        // A spilled data object is written before the item that points to it, under a key of its own
        // version, and carries its mzxid. An object gone by the time it is read (the item moved on and
        // the version was deleted), or one at the unversioned key of older code rewritten after the
        // item was read, does not match the item's mzxid, and the item is read again (at most a few
        // times: the applier writes the item next).
        for (int attempt = 0; ; attempt++)
        {
            var item = (await _dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = _table,
                Key = new() { [PathAttr] = S(path) },
                ConsistentRead = true,
            }, ct).ConfigureAwait(false)).Item;
            // No item, or a tombstone (a deleted node's key and write stamp): no node.
            if (GetBytes(item, StatAttr) is not { } statBytes)
            {
                return null;
            }
            var stat = DecodeStat(statBytes);
            var acl = GetBytes(item, AclAttr) is { } aclBytes ? DecodeAcl(aclBytes) : Acl.OpenAclUnsafe;
            var children = new SortedSet<string>(GetStringSet(item, ChildrenAttr), StringComparer.Ordinal);
            byte[]? data = GetBool(item, NullDataAttr) ? null : GetBytes(item, DataAttr) ?? [];
            if (GetString(item, DataRefAttr) is { } key)
            {
                var (zxid, spilled) = await GetDataObjectAsync(key, ct).ConfigureAwait(false);
                if (zxid != stat.Mzxid)
                {
                    if (attempt >= 50)
                    {
                        throw new InvalidOperationException($"The data object of {path} stays at mzxid {zxid:x} while its item says {stat.Mzxid:x}.");
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(20), ct).ConfigureAwait(false);
                    continue;
                }
                data = spilled;
            }
            // The write stamp names the last batch that wrote the item: on a stats node, the zxid its
            // usage counts through (the distributor's stats Put is the item's last write of its batch).
            long usageThrough = item.TryGetValue(WriteStampAttr, out var stamp) && ulong.TryParse(stamp.N, NumberStyles.None, CultureInfo.InvariantCulture, out ulong z) ? (long)(z / 2) : 0;
            return new UserNode(path, data, stat, acl, children, EpochStamp.Parse(GetString(item, EpochAttr))) { UsageThrough = usageThrough };
        }
    }

    public async ValueTask<int> CountDescendantsAsync(string path, CancellationToken cancellationToken = default)
    {
        var root = await GetNodeAsync(path, cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return -1;
        }
        // Level by level, each level's child lists in BatchGetItem calls of 100 keys (its limit),
        // fetching only the names: one call per 100 nodes rather than one per node. A node is an item
        // with a Stat (a tombstone has none; the Stat costs no more read units than the names).
        int count = 0;
        var level = root.Children.Select(c => ZkPath.Join(path, c)).ToList();
        while (level.Count > 0)
        {
            var next = new List<string>();
            foreach (var item in await BatchGetAsync(level, "#p, #c, #s", new() { ["#p"] = PathAttr, ["#c"] = ChildrenAttr, ["#s"] = StatAttr }, cancellationToken).ConfigureAwait(false))
            {
                if (!item.ContainsKey(StatAttr))
                {
                    continue;
                }
                count++;
                string parent = GetString(item, PathAttr)!;
                next.AddRange(GetStringSet(item, ChildrenAttr).Select(c => ZkPath.Join(parent, c)));
            }
            level = next;
        }
        return count;
    }

    /// <summary>What a batch does to one node, after coalescing its changes.</summary>
    private sealed class Plan
    {
        public bool Deleted;

        /// <summary>The highest zxid of the batch's transactions that touch the node or its child names.</summary>
        public long Zxid;

        /// <summary>Created (or deleted and created again) in this batch: the item is replaced whole.</summary>
        public bool Created;

        public Stat? Stat;

        /// <summary>Whether the batch sets the node's data to <see cref="Data"/> (which may be null data).</summary>
        public bool WritesData;
        public byte[]? Data;

        /// <summary>The data is already in S3 under this key (written once by the writer): the item refers to it.</summary>
        public string? DataRef;
        public IReadOnlyList<Acl>? Acl;

        /// <summary>The node's kind marker (<see cref="NodeChange.KindMarker"/>; 0: none), written with a created item.</summary>
        public long KindMarker;

        /// <summary>The data goes with its writer only (<see cref="NodeChange.DataWithWriterOnly"/>): written first, or skipped by a helper without it.</summary>
        public bool WriterOnly;

        /// <summary>A writer-only node's write that was skipped: the item as its condition found it.</summary>
        public Dictionary<string, AttributeValue>? Skipped;
        public readonly SortedSet<string> AddedChildren = new(StringComparer.Ordinal);
        public readonly SortedSet<string> RemovedChildren = new(StringComparer.Ordinal);

        public void Reset()
        {
            Stat = null;
            WritesData = false;
            Data = null;
            DataRef = null;
            Acl = null;
            KindMarker = 0;
            AddedChildren.Clear();
            RemovedChildren.Clear();
        }
    }

    public async ValueTask ApplyAsync(IReadOnlyList<Txn> txns, Action<Txn> onApplied, CancellationToken cancellationToken = default) =>
        await ApplyAsync(txns, null, onApplied, cancellationToken).ConfigureAwait(false);

    /// <summary>What a batch does to each node it touches (changes coalesced), and its highest zxid.</summary>
    private static Dictionary<string, Plan> PlanBatch(IReadOnlyList<Txn> txns, out long last)
    {
        var plans = new Dictionary<string, Plan>(StringComparer.Ordinal);
        Plan PlanOf(string path) => plans.TryGetValue(path, out var p) ? p : plans[path] = new Plan();
        last = 0;
        foreach (var txn in txns)
        {
            foreach (var change in txn.Changes)
            {
                var plan = PlanOf(change.Path);
                plan.Zxid = Math.Max(plan.Zxid, txn.Zxid);
                string? parent = ZkPath.Parent(change.Path);
                string name = ZkPath.Name(change.Path);
                if (change.Kind == NodeChangeKind.Delete)
                {
                    plan.Deleted = true;
                    plan.Created = false;
                    plan.Reset();
                    if (parent is not null)
                    {
                        var parentPlan = PlanOf(parent);
                        parentPlan.Zxid = Math.Max(parentPlan.Zxid, txn.Zxid);
                        parentPlan.AddedChildren.Remove(name);
                        parentPlan.RemovedChildren.Add(name);
                    }
                    continue;
                }
                // ZooKeeper gives a node the zxid of the transaction that creates it as czxid; any
                // other Put (setData, setACL, a parent's cversion) is of a node created before.
                if (change.Stat.Czxid == txn.Zxid || plan.Deleted)
                {
                    if (!plan.Created)
                    {
                        plan.Reset();
                    }
                    plan.Created = true;
                    plan.Deleted = false;
                    if (parent is not null)
                    {
                        var parentPlan = PlanOf(parent);
                        parentPlan.Zxid = Math.Max(parentPlan.Zxid, txn.Zxid);
                        parentPlan.RemovedChildren.Remove(name);
                        parentPlan.AddedChildren.Add(name);
                    }
                }
                plan.Stat = change.Stat;
                if (change.WritesData)
                {
                    plan.WritesData = true;
                    plan.Data = change.Data;
                    plan.DataRef = change.DataRef;
                    plan.WriterOnly = change.DataWithWriterOnly;
                }
                plan.Acl = change.Acl ?? plan.Acl;
                plan.KindMarker = change.KindMarker != 0 ? change.KindMarker : plan.KindMarker;
            }
            last = Math.Max(last, txn.Zxid);
        }
        return plans;
    }

    public async ValueTask<IReadOnlyCollection<string>> ApplyAsync(IReadOnlyList<Txn> txns, EpochStamp? epoch, Action<Txn> onApplied, CancellationToken cancellationToken = default)
    {
        string? epochStamp = epoch?.Encode();
        var plans = PlanBatch(txns, out long last);
        var staleObjects = new List<string>();
        foreach (var (path, plan) in plans.Where(p => p.Value.WriterOnly && !p.Value.Deleted))
        {
            // Before anything else of the batch: a helper that finds this node unwritten aborts the
            // batch by fencing it, and nothing else of it may be there then. A helper has no data for
            // it: it made sure the write was made (or aborted the batch) before applying the rest.
            if (plan.Data is not null)
            {
                await WriteFirstAsync(path, plan, epochStamp, staleObjects, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var (path, plan) in plans.Where(p => !p.Value.Deleted && !p.Value.WriterOnly).OrderByDescending(p => S3UserStorage.Depth(p.Key)))
        {
            if (plan.Created)
            {
                await PutNodeAsync(path, plan, epochStamp, staleObjects, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await UpdateNodeAsync(path, plan, epochStamp, staleObjects, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var (path, plan) in plans.Where(p => p.Value.Deleted).OrderBy(p => S3UserStorage.Depth(p.Key)))
        {
            await WriteTombstoneAsync(path, plan.Zxid, staleObjects, cancellationToken).ConfigureAwait(false);
        }
        // Spilled data of nodes that are gone, inline again or at a newer version: after the items
        // stopped pointing to it. Only writes that went through collect keys, so a late applier
        // deletes nothing; no write can point an item back to an older version's key.
        if (DeleteStaleDataInBackground && staleObjects.Count > 0)
        {
            // Off the reply's path: a reader that finds an object gone reads the item again.
            _ = DeleteAllAsync(staleObjects);
        }
        else
        {
            foreach (string key in staleObjects)
            {
                await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            }
        }
        IReadOnlyCollection<string> late = [];
        if (last > 0 && RaisesAppliedMarker)
        {
            late = await _applied.RaiseAsync(last, epoch?.Generation, cancellationToken).ConfigureAwait(false);
        }
        else if (last > 0)
        {
            _applied.Observe(last);
        }
        foreach (var txn in txns)
        {
            onApplied(txn);
        }
        return late;
    }

    private async ValueTask PutNodeAsync(string path, Plan plan, string? epochStamp, List<string> staleObjects, CancellationToken ct)
    {
        byte[] stat = EncodeStat(plan.Stat!.Value);
        byte[] acl = EncodeAcl(plan.Acl ?? Acl.OpenAclUnsafe);
        byte[]? data = plan.WritesData ? plan.Data : [];
        var item = new Dictionary<string, AttributeValue>
        {
            [PathAttr] = S(path),
            [StatAttr] = B(stat),
            [AclAttr] = B(acl),
        };
        long size = AttributeSize(PathAttr, Encoding.UTF8.GetByteCount(path)) + AttributeSize(StatAttr, stat.Length) + AttributeSize(AclAttr, acl.Length)
            + AttributeSize(DataAttr, data?.Length ?? 0) + ChildrenSize(plan.AddedChildren) + AttributeSize(EpochAttr, epochStamp?.Length ?? 0) + WriteStampSize;
        item[WriteStampAttr] = WriteStampOf(plan.Zxid, 0);
        if (epochStamp is not null)
        {
            item[EpochAttr] = S(epochStamp);
        }
        bool spill = size > _itemLimit;
        string? dataKey = null;
        if (plan.DataRef is { } written)
        {
            // In S3 already, at its final key (the gateway write path's large payloads).
            dataKey = written;
            item[DataRefAttr] = S(written);
        }
        else if (data is null)
        {
            item[NullDataAttr] = Bool(true);
        }
        else if (spill)
        {
            dataKey = await PutDataObjectAsync(DataKey(path, plan.Stat!.Value.Mzxid), plan.Stat!.Value.Mzxid, data, ct).ConfigureAwait(false);
            item[DataRefAttr] = S(dataKey);
        }
        else if (data.Length > 0)
        {
            item[DataAttr] = B(data);
        }
        if (plan.AddedChildren.Count > 0)
        {
            item[ChildrenAttr] = SS(plan.AddedChildren);
        }
        if (plan.KindMarker != 0)
        {
            // Only container and TTL items carry these: a persistent node's item is as it was.
            item[KindMarkerAttr] = N(plan.KindMarker);
            item[DynamoReapIndex.Attribute] = DynamoReapIndex.Value;
        }
        PutItemResponse old;
        try
        {
            // A create replaces a tombstone, or the item of a node deleted and created again, whole.
            old = await _dynamo.PutItemAsync(Named(new PutItemRequest
            {
                TableName = _table,
                Item = item,
                ConditionExpression = Fenced,
                ExpressionAttributeValues = new() { [":z"] = item[WriteStampAttr] },
                ReturnValues = ReturnValue.ALL_OLD,
                ReturnValuesOnConditionCheckFailure = plan.WriterOnly ? ReturnValuesOnConditionCheckFailure.ALL_OLD : null,
            }), ct).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException e)
        {
            // Applied already, by this batch's other applier or before a crash, or overtaken.
            plan.Skipped = e.Item ?? [];
            return;
        }
        if (GetString(old.Attributes, DataRefAttr) is { } key && key != dataKey)
        {
            staleObjects.Add(key);
        }
    }

    private async ValueTask UpdateNodeAsync(string path, Plan plan, string? epochStamp, List<string> staleObjects, CancellationToken ct)
    {
        bool spill = false;
        if (plan.WritesData && plan.Data is { } data)
        {
            // The children already stored are not known here; an item that turns out too large is
            // caught below and written again with the data in S3.
            spill = AttributeSize(DataAttr, data.Length) + AttributeSize(StatAttr, 100) + ChildrenSize(plan.AddedChildren) + AttributeSize(EpochAttr, epochStamp?.Length ?? 0) + WriteStampSize > _itemLimit;
        }
        try
        {
            await UpdateAsync(path, plan, epochStamp, spill, staleObjects, ct).ConfigureAwait(false);
        }
        catch (AmazonDynamoDBException e) when (IsItemTooLarge(e) && !spill)
        {
            if (!plan.WritesData)
            {
                // Children pushed the item over DynamoDB's limit: move the stored data out first.
                await SpillStoredDataAsync(path, ct).ConfigureAwait(false);
            }
            // Written again whole: a step of the first attempt that went through (the removals) is
            // skipped by its write stamp.
            await UpdateAsync(path, plan, epochStamp, spill: plan.Data is not null, staleObjects, ct).ConfigureAwait(false);
        }
    }

    private async ValueTask UpdateAsync(string path, Plan plan, string? epochStamp, bool spill, List<string> staleObjects, CancellationToken ct)
    {
        var set = new List<string>();
        var remove = new List<string>();
        var values = new Dictionary<string, AttributeValue>();
        string? dataKey = null;
        if (plan.Stat is { } stat)
        {
            set.Add("#stat = :stat");
            values[":stat"] = B(EncodeStat(stat));
            // The node shows this batch's state: it carries this batch's epoch stamp, or none.
            if (epochStamp is not null)
            {
                set.Add("#epoch = :epoch");
                values[":epoch"] = S(epochStamp);
            }
            else
            {
                remove.Add("#epoch");
            }
        }
        if (plan.Acl is { } acl)
        {
            set.Add("#acl = :acl");
            values[":acl"] = B(EncodeAcl(acl));
        }
        if (plan.WritesData && plan.DataRef is { } written)
        {
            // In S3 already, at its final key (the gateway write path's large payloads).
            dataKey = written;
            set.Add("#dataRef = :ref");
            values[":ref"] = S(written);
            remove.Add("#data");
            remove.Add("#nullData");
        }
        else if (plan.WritesData && plan.Data is null)
        {
            set.Add("#nullData = :null");
            values[":null"] = Bool(true);
            remove.Add("#data");
            remove.Add("#dataRef");
        }
        else if (plan.WritesData && plan.Data is { } data)
        {
            if (spill)
            {
                dataKey = await PutDataObjectAsync(DataKey(path, plan.Stat!.Value.Mzxid), plan.Stat!.Value.Mzxid, data, ct).ConfigureAwait(false);
                set.Add("#dataRef = :ref");
                values[":ref"] = S(dataKey);
                remove.Add("#data");
            }
            else
            {
                set.Add("#data = :data");
                values[":data"] = B(data);
                remove.Add("#dataRef");
            }
            remove.Add("#nullData");
        }
        if (set.Count == 0 && remove.Count == 0 && plan.AddedChildren.Count == 0 && plan.RemovedChildren.Count == 0)
        {
            return;
        }
        bool removeSeparately = plan.AddedChildren.Count > 0 && plan.RemovedChildren.Count > 0;
        set.Add("#z = :z");
        values[":z"] = WriteStampOf(plan.Zxid, removeSeparately ? 1 : 0);
        string expression = "SET " + string.Join(", ", set) + (remove.Count > 0 ? " REMOVE " + string.Join(", ", remove) : "");
        if (plan.AddedChildren.Count > 0)
        {
            expression += " ADD #children :add";
            values[":add"] = SS(plan.AddedChildren);
        }
        else if (plan.RemovedChildren.Count > 0)
        {
            expression += " DELETE #children :del";
            values[":del"] = SS(plan.RemovedChildren);
        }
        if (removeSeparately)
        {
            // DynamoDB refuses ADD and DELETE of one set in one update. Names leave first: a listed
            // name whose item is already gone is what the ordering is there to prevent.
            await UpdateItemAsync(path, "SET #z = :z DELETE #children :del", new() { [":del"] = SS(plan.RemovedChildren), [":z"] = WriteStampOf(plan.Zxid, 0) }, ct).ConfigureAwait(false);
        }
        var old = await UpdateItemAsync(path, expression, values, ct, returnOld: plan.WritesData, reportSkipTo: plan.WriterOnly ? plan : null).ConfigureAwait(false);
        if (GetString(old, DataRefAttr) is { } key && key != dataKey)
        {
            staleObjects.Add(key);
        }
    }

    /// <summary>A fenced update of a node (<c>:z</c> in <paramref name="values"/>); null when it was skipped.</summary>
    private ValueTask<Dictionary<string, AttributeValue>?> UpdateItemAsync(string path, string expression, Dictionary<string, AttributeValue> values, CancellationToken ct, bool returnOld = false, Plan? reportSkipTo = null) =>
        // Skipped: this step, or a newer one, was applied already; or the node is not there, and
        // nothing in a committed order updates a missing node, so a later transaction deleted it.
        ConditionalUpdateAsync(path, expression, FencedUpdate, values, returnOld ? ReturnValue.UPDATED_OLD : ReturnValue.NONE, ct, reportSkipTo);

    /// <summary>A conditional update; null when its condition failed (then, with <paramref name="reportSkipTo"/>, the item as it found it is kept there).</summary>
    private async ValueTask<Dictionary<string, AttributeValue>?> ConditionalUpdateAsync(string path, string expression, string condition, Dictionary<string, AttributeValue> values, ReturnValue returnValues, CancellationToken ct, Plan? reportSkipTo = null)
    {
        try
        {
            var response = await _dynamo.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = _table,
                Key = new() { [PathAttr] = S(path) },
                UpdateExpression = expression,
                ConditionExpression = condition,
                ExpressionAttributeValues = values,
                ReturnValues = returnValues,
                ReturnValuesOnConditionCheckFailure = reportSkipTo is null ? null : ReturnValuesOnConditionCheckFailure.ALL_OLD,
            }), ct).ConfigureAwait(false);
            return response.Attributes ?? [];
        }
        catch (ConditionalCheckFailedException e)
        {
            if (reportSkipTo is not null)
            {
                reportSkipTo.Skipped = e.Item ?? [];
            }
            return null;
        }
    }

    /// <summary>
    /// The writer's write of its batch's writer-only node, first of the batch. Skipped by its condition,
    /// it was made before (this writer's earlier attempt whose call failed), or the batch was aborted: a
    /// helper fenced the node at this batch's stamp, or, if newer batches have written the node since,
    /// recorded the abort before the head moved on. Throws <see cref="BatchAbortedException"/> then.
    /// </summary>
    private async ValueTask WriteFirstAsync(string path, Plan plan, string? epochStamp, List<string> staleObjects, CancellationToken ct)
    {
        if (plan.Created)
        {
            await PutNodeAsync(path, plan, epochStamp, staleObjects, ct).ConfigureAwait(false);
        }
        else
        {
            await UpdateNodeAsync(path, plan, epochStamp, staleObjects, ct).ConfigureAwait(false);
        }
        if (plan.Skipped is not { } found)
        {
            return;
        }
        if (found.Count == 0)
        {
            // The refusal came without the item (a store that does not return it): read it.
            found = (await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = new() { [PathAttr] = S(path) }, ConsistentRead = true }, ct).ConfigureAwait(false)).Item ?? [];
        }
        if (GetLong(found, FenceAttr) == plan.Zxid)
        {
            throw new BatchAbortedException(plan.Zxid);
        }
        if (StampOf(found) == StampNumber(plan.Zxid, 0))
        {
            return;
        }
        if (await IsAbortRecordedAsync(plan.Zxid, ct).ConfigureAwait(false))
        {
            throw new BatchAbortedException(plan.Zxid);
        }
    }

    /// <summary>
    /// A helper's first step with a batch found at the head whose writer-only node (at <paramref name="zxid"/>)
    /// it cannot write: fences the node at the batch's write stamp unless the write was made. True: the
    /// node was unwritten and now can never be (the writer's write finds the stamp), the abort is
    /// recorded, and the batch is aborted: nothing of it is applied, its writer (if alive) prepares its
    /// requests again. False: the write was made and the rest of the batch is applied as usual.
    /// </summary>
    public async ValueTask<bool> FenceUnwrittenAsync(string path, long zxid, CancellationToken ct)
    {
        try
        {
            // Without attribute_exists(stat): an unwritten create leaves a tombstone (no node).
            await _dynamo.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = _table,
                Key = new() { [PathAttr] = S(path) },
                UpdateExpression = "SET #z = :z, #fence = :f",
                ConditionExpression = Fenced,
                ExpressionAttributeValues = new() { [":z"] = WriteStampOf(zxid, 0), [":f"] = N(zxid) },
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            }), ct).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException e)
        {
            if (GetLong(e.Item, FenceAttr) != zxid)
            {
                // The write was made (or a newer one).
                return false;
            }
            // Fenced already, by another helper that may not have recorded the abort.
        }
        // Before the head can move on: once newer batches write the node, the fence is gone from it.
        await _dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = _countersTable,
            Item = new() { ["name"] = S(AbortRecord(zxid)) },
        }, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Where a writer-only node's write (at <paramref name="zxid"/>) stands: made (its item carries the stamp), fenced off, or neither yet.</summary>
    public async ValueTask<WriterOnlyWrite> ReadWriterOnlyAsync(string path, long zxid, CancellationToken ct)
    {
        var item = (await _dynamo.GetItemAsync(Named(new GetItemRequest
        {
            TableName = _table,
            Key = new() { [PathAttr] = S(path) },
            ConsistentRead = true,
            ProjectionExpression = "#z, #fence",
        }), ct).ConfigureAwait(false)).Item;
        if (GetLong(item, FenceAttr) == zxid)
        {
            return WriterOnlyWrite.Fenced;
        }
        return StampOf(item) >= StampNumber(zxid, 0) ? WriterOnlyWrite.Made : WriterOnlyWrite.NotYet;
    }

    private async ValueTask<bool> IsAbortRecordedAsync(long zxid, CancellationToken ct) =>
        (await _dynamo.GetItemAsync(new GetItemRequest { TableName = _countersTable, Key = new() { ["name"] = S(AbortRecord(zxid)) }, ConsistentRead = true }, ct).ConfigureAwait(false)).Item is { Count: > 0 };

    /// <summary>The counters-table item that says a batch was aborted (one per abort; kept).</summary>
    private static string AbortRecord(long zxid) => $"aborted-{zxid:x16}";

    private static ulong? StampOf(Dictionary<string, AttributeValue>? item) =>
        item is not null && item.TryGetValue(WriteStampAttr, out var z) && z.N is { } n ? ulong.Parse(n, CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// A delete: the item keeps its key and gets the delete's write stamp, every other attribute goes (one
    /// write unit per KB of the old item, as a DeleteItem). A create of an older batch applied late
    /// finds the write stamp and is skipped; a newer create replaces the tombstone.
    /// </summary>
    private async ValueTask WriteTombstoneAsync(string path, long zxid, List<string> staleObjects, CancellationToken ct)
    {
        var old = await ConditionalUpdateAsync(path, "SET #z = :z REMOVE #stat, #acl, #data, #dataRef, #nullData, #children, #epoch, #kindMarker, #reapShard", Fenced,
            new() { [":z"] = WriteStampOf(zxid, 0) }, ReturnValue.UPDATED_OLD, ct).ConfigureAwait(false);
        if (GetString(old, DataRefAttr) is { } key)
        {
            staleObjects.Add(key);
        }
    }

    /// <summary>
    /// Moves a node's inline data to S3 as it is stored: a change of form, not of state, so it keeps
    /// the item's write stamp and goes through only if the item is still what was read (an applier that is
    /// late or concurrent moves either that state's data or nothing).
    /// </summary>
    private async ValueTask SpillStoredDataAsync(string path, CancellationToken ct)
    {
        var item = (await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = new() { [PathAttr] = S(path) }, ConsistentRead = true }, ct).ConfigureAwait(false)).Item;
        if (GetBytes(item, DataAttr) is not { } data || GetBytes(item, StatAttr) is not { } statBytes)
        {
            return;
        }
        long mzxid = DecodeStat(statBytes).Mzxid;
        string key = await PutDataObjectAsync(DataKey(path, mzxid), mzxid, data, ct).ConfigureAwait(false);
        var values = new Dictionary<string, AttributeValue> { [":ref"] = S(key) };
        string condition = "attribute_exists(#data) AND attribute_not_exists(#z)";
        if (item.TryGetValue(WriteStampAttr, out var seen))
        {
            condition = "attribute_exists(#data) AND #z = :seen";
            values[":seen"] = seen;
        }
        await ConditionalUpdateAsync(path, "SET #dataRef = :ref REMOVE #data", condition, values, ReturnValue.NONE, ct).ConfigureAwait(false);
    }

    private static bool IsItemTooLarge(AmazonDynamoDBException e) =>
        e.ErrorCode == "ValidationException" && e.Message.Contains("size", StringComparison.OrdinalIgnoreCase);

    /// <summary>DynamoDB's size of an attribute: its name's UTF-8 bytes plus its value's.</summary>
    private static long AttributeSize(string name, long valueBytes) => name.Length + valueBytes;

    private static long ChildrenSize(IEnumerable<string> names) => ChildrenAttr.Length + names.Sum(n => (long)Encoding.UTF8.GetByteCount(n));

    /// <summary>
    /// Spilled data an apply left behind is deleted after the apply returns rather than before (the
    /// gateway write path: the reply waits for the apply). Best effort either way: S3 DELETE is free,
    /// and an object a failed delete leaves behind only costs storage.
    /// </summary>
    public bool DeleteStaleDataInBackground { get; init; }

    private async Task DeleteAllAsync(List<string> keys)
    {
        foreach (string key in keys)
        {
            await DeleteDataVersionAsync(key, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes a version of a node's data to S3 and returns its key, for a change that then refers to it
    /// (<see cref="NodeChange.DataRef"/>): the gateway write path's writer puts a large payload at its
    /// final place once, before it commits, instead of carrying it through the commit and the apply.
    /// Its key also names <paramref name="attempt"/> (the writer's batch id): two writers may prepare
    /// the same path at the same zxid, and the one whose reservation loses deletes its own object,
    /// never the winner's, and cannot overwrite it either.
    /// </summary>
    public ValueTask<string> PutDataVersionAsync(string path, long mzxid, byte[] data, string attempt, CancellationToken ct) =>
        PutDataObjectAsync($"{DataKey(path, mzxid)}-{attempt}", mzxid, data, ct);

    /// <summary>A data version written for a commit that did not happen (S3 DELETE is free; best effort).</summary>
    public async ValueTask DeleteDataVersionAsync(string key, CancellationToken ct)
    {
        try
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception)
        {
        }
    }

    /// <summary>Writes a version of a node's data to S3 under <paramref name="key"/> and returns the key.</summary>
    private async ValueTask<string> PutDataObjectAsync(string key, long mzxid, byte[] data, CancellationToken ct)
    {
        var buffer = new FrameBuffer(16 + data.Length);
        var writer = new JuteWriter(buffer);
        writer.WriteInt(DataObjectFormat);
        writer.WriteLong(mzxid);
        writer.WriteBuffer(data);
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket,
            Key = key,
            InputStream = new MemoryStream(buffer.WrittenSpan.ToArray(), writable: false),
            ContentType = "application/octet-stream",
            UseChunkEncoding = !_disableChunkEncoding,
        }, ct).ConfigureAwait(false);
        return key;
    }

    private async ValueTask<(long Mzxid, byte[] Data)> GetDataObjectAsync(string key, CancellationToken ct)
    {
        try
        {
            using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, ct).ConfigureAwait(false);
            using var body = new MemoryStream();
            await response.ResponseStream.CopyToAsync(body, ct).ConfigureAwait(false);
            return Decode(body.GetBuffer().AsSpan(0, (int)body.Length));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // Deleted after the item was read (the node went or its data became inline): read again.
            return (-1, []);
        }

        static (long, byte[]) Decode(ReadOnlySpan<byte> bytes)
        {
            var reader = new JuteReader(bytes);
            int format = reader.ReadInt();
            if (format != DataObjectFormat)
            {
                JuteFormatException.ThrowInvalid($"Unknown node data object format {format}.");
            }
            long mzxid = reader.ReadLong();
            return (mzxid, reader.ReadBuffer() ?? []);
        }
    }

    private static byte[] EncodeStat(Stat stat)
    {
        var buffer = new FrameBuffer(96);
        var writer = new JuteWriter(buffer);
        stat.Write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    private static Stat DecodeStat(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        return Stat.Read(ref reader);
    }

    private static byte[] EncodeAcl(IReadOnlyList<Acl> acl)
    {
        var buffer = new FrameBuffer(64);
        var writer = new JuteWriter(buffer);
        Acl.WriteList(ref writer, acl);
        return buffer.WrittenSpan.ToArray();
    }

    private static IReadOnlyList<Acl> DecodeAcl(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        return Acl.ReadList(ref reader) ?? [];
    }
}

/// <summary>Where the write of a batch's writer-only node stands (<see cref="NodeChange.DataWithWriterOnly"/>).</summary>
public enum WriterOnlyWrite
{
    NotYet,
    Made,
    Fenced,
}
