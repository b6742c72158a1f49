using Amazon.DynamoDBv2;
using Amazon.S3;
using Amazon.S3.Model;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// FaaSKeeper's "persistent" user storage: one S3 object per node (<c>nodes&lt;path&gt;</c>) holding its
/// Stat, ACL, data and child names, written only by the distributor and read directly by gateways.
/// The zxid of the last applied transaction is kept in the counters table (<c>applied</c>), raised
/// after each batch, so a redelivered batch is recognised and not applied twice.
/// <para>
/// Writes of one distributor batch are coalesced (a hot parent is written once per batch, not once per
/// child) and ordered so that a concurrent reader never finds a child listed whose object is missing:
/// new and changed nodes deepest first, then deletions. Unlike ZooKeeper, a reader may see part of a
/// multi's batch (S3 has no multi-object transaction), as in FaaSKeeper.
/// </para>
/// <para>
/// Fenced against several appliers of one batch (a host that stalled in a batch and woke after a
/// replacement applied it and newer ones): every object carries a write stamp (the highest zxid of the
/// batch that touched it, <c>x-amz-meta-zkgw-stamp</c>), a write is skipped when the object it read
/// has that stamp or a newer one, and goes out conditional on the object still being what was read
/// (<c>If-Match</c> its ETag, <c>If-None-Match: *</c> where there was none). A deleted node leaves a
/// tombstone (an empty object with its stamp), so a late create cannot bring it back.
/// </para>
/// </summary>
public sealed partial class S3UserStorage : IAwsUserStorage
{
    private const int ObjectFormat = 1;

    /// <summary>
    /// The epoch stamp (<see cref="EpochStamp"/>) travels as user metadata, <c>x-amz-meta-zkgw-epoch</c>,
    /// outside the object body: GetObject returns it in the headers it sends anyway. S3 allows 2 KB of
    /// user metadata per object; a longer stamp keeps its newest entries (see EpochStamp.Truncate).
    /// </summary>
    internal const string EpochMetadata = "zkgw-epoch";

    private const int EpochMetadataLimit = 1900;

    /// <summary>A stats node's <see cref="NodeChange.UsageThrough"/>, also as user metadata (zxid in hex).</summary>
    internal const string UsageThroughMetadata = "zkgw-usage-through";

    /// <summary>The write stamp (zxid in hex): the newest transaction whose changes the object holds.</summary>
    internal const string StampMetadata = "zkgw-stamp";

    /// <summary>The stamp of a key that holds no object: any write, the root's at zxid 0 too, is newer.</summary>
    private const long NoObject = -1;

    /// <summary>
    /// Another applier wrote an object between this one's read and write: the batch is applied again
    /// from fresh reads (what the other wrote is then skipped). It can only meet the other appliers of
    /// the same batch, so a few rounds settle it; past this the queue delivers the batch again.
    /// </summary>
    private const int ConflictRounds = 8;

    private readonly IAmazonS3 _s3;
    private readonly AppliedMarker _applied;
    private readonly string _bucket;
    private readonly bool _disableChunkEncoding;

    // The distributor is the only writer: it keeps what it wrote, so a parent's child list is not
    // read back from S3 before every create. Bounded; a miss costs one GET. A stale entry costs a
    // refused conditional write and a round from fresh reads, never a wrong write.
    private readonly Dictionary<string, ObjectVersion> _cache = new(StringComparer.Ordinal);
    private const int CacheLimit = 50_000;

    // The marker this instance last raised: if the stored one differs when a batch starts, another
    // instance applied batches in between and the cache may be stale.
    private long _lastRaised = -1;

    private sealed class StoredNode(Stat stat, IReadOnlyList<Acl> acl, byte[]? data, SortedSet<string> children)
    {
        /// <summary>The stamp the object was read with (reads only; a write stamps with its batch's).</summary>
        public EpochStamp? Epoch;
        public Stat Stat = stat;
        public IReadOnlyList<Acl> Acl = acl;

        /// <summary>Null data (a -1 buffer in the object, as in ZooKeeper's snapshots) stays null.</summary>
        public byte[]? Data = data;
        public readonly SortedSet<string> Children = children;

        /// <summary>On a zookeeper_stats node the distributor wrote: the zxid its usage counts through.</summary>
        public long UsageThrough;
    }

    /// <summary>
    /// What a key held when this instance read or wrote it: the node (null for none or a tombstone),
    /// the ETag a conditional write names (null: no object), and the write stamp.
    /// </summary>
    private sealed record ObjectVersion(StoredNode? Node, string? ETag, long Stamp);

    public S3UserStorage(IAmazonS3 s3, IAmazonDynamoDB dynamo, string bucket, string countersTable, bool disableChunkEncoding = false)
    {
        _s3 = s3;
        _applied = new AppliedMarker(dynamo, countersTable);
        _bucket = bucket;
        _disableChunkEncoding = disableChunkEncoding;
    }

    /// <inheritdoc cref="AppliedMarker.Zxid"/>
    public long AppliedZxid => _applied.Zxid;

    public void ObserveZxid(long zxid) => _applied.Observe(zxid);

    public ValueTask<long> RefreshAppliedZxidAsync(CancellationToken cancellationToken = default) => _applied.RefreshAsync(cancellationToken);

    public int NodeCount => 0;

    public long ApproximateDataSize => 0;

    public static string Key(string path) => "nodes" + path;

    public async ValueTask<T> ReadAsync<T>(string path, Func<UserNode?, long, T> read, CancellationToken cancellationToken = default)
    {
        var stored = await GetAsync(path, cancellationToken).ConfigureAwait(false);
        UserNode? node = stored is null ? null : new UserNode(path, stored.Data, stored.Stat, stored.Acl, stored.Children, stored.Epoch) { UsageThrough = stored.UsageThrough };
        if (node is not null)
        {
            ObserveZxid(Math.Max(node.Stat.Mzxid, node.Stat.Pzxid));
        }
        return read(node, AppliedZxid);
    }

    public async ValueTask<int> CountDescendantsAsync(string path, CancellationToken cancellationToken = default)
    {
        var root = await GetAsync(path, cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return -1;
        }
        int count = 0;
        var pending = new Stack<(string Path, StoredNode Node)>();
        pending.Push((path, root));
        while (pending.Count > 0)
        {
            var (parent, node) = pending.Pop();
            foreach (string child in node.Children)
            {
                count++;
                string childPath = ZkPath.Join(parent, child);
                if (await GetAsync(childPath, cancellationToken).ConfigureAwait(false) is { } c)
                {
                    pending.Push((childPath, c));
                }
            }
        }
        return count;
    }

    public async ValueTask ApplyAsync(IReadOnlyList<Txn> txns, Action<Txn> onApplied, CancellationToken cancellationToken = default) =>
        await ApplyAsync(txns, null, onApplied, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyCollection<string>> ApplyAsync(IReadOnlyList<Txn> txns, EpochStamp? epoch, Action<Txn> onApplied, CancellationToken cancellationToken = default)
    {
        // On Lambda, consecutive batches of the one queue group may run in different execution
        // environments: what this instance cached is only good if nobody applied since it last did
        // (one GetItem per batch, a read unit, against a lost child name).
        if (_cache.Count > 0 && await _applied.ReadStoredAsync(cancellationToken).ConfigureAwait(false) != _lastRaised)
        {
            _cache.Clear();
        }
        long last = txns.Count == 0 ? 0 : txns.Max(t => t.Zxid);
        for (int round = 1; !await TryWriteAsync(txns, epoch, cancellationToken).ConfigureAwait(false); round++)
        {
            // Another applier wrote meanwhile: what this instance knows is stale.
            _cache.Clear();
            if (round == ConflictRounds)
            {
                throw new InvalidOperationException($"Batch through zxid {last:x}: other appliers wrote its objects in each of {ConflictRounds} rounds.");
            }
        }
        IReadOnlyCollection<string> late = [];
        if (last > 0)
        {
            late = await _applied.RaiseAsync(last, epoch?.Generation, cancellationToken).ConfigureAwait(false);
            _lastRaised = Math.Max(_lastRaised, last);
        }
        // Triggers are routed once everything of the batch is visible (they are sent after this returns).
        foreach (var txn in txns)
        {
            onApplied(txn);
        }
        return late;
    }

    /// <summary>
    /// One round of a batch's writes, from what this instance knows or reads now. False when another
    /// applier changed an object between the read and the write (nothing after it is written).
    /// </summary>
    private async ValueTask<bool> TryWriteAsync(IReadOnlyList<Txn> txns, EpochStamp? epoch, CancellationToken ct)
    {
        var batch = new BatchWrites();
        foreach (var txn in txns)
        {
            foreach (var change in txn.Changes)
            {
                await ApplyChangeAsync(change, txn.Zxid, batch, ct).ConfigureAwait(false);
            }
        }

        // Children before parents for puts; deletions last (their parents no longer list them).
        var order = batch.Dirty.Where(d => d.Value is not null).OrderByDescending(d => Depth(d.Key))
            .Concat(batch.Dirty.Where(d => d.Value is null));
        foreach (var (path, node) in order)
        {
            var read = batch.Read[path];
            long stamp = batch.Stamps[path];
            if (read.Stamp >= stamp)
            {
                // This batch's write (another applier's) or a newer batch's is in place.
                Remember(path, read);
                continue;
            }
            var written = await PutAsync(path, node, read, stamp, epoch, ct).ConfigureAwait(false);
            if (written is null)
            {
                return false;
            }
            Remember(path, written);
        }
        return true;
    }

    /// <summary>One round's state: the nodes it changes (null: deleted), what each key held when read, and each key's stamp.</summary>
    private sealed class BatchWrites
    {
        public readonly Dictionary<string, StoredNode?> Dirty = new(StringComparer.Ordinal);
        public readonly Dictionary<string, ObjectVersion> Read = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> Stamps = new(StringComparer.Ordinal);

        public void Change(string path, StoredNode? node, long zxid)
        {
            Dirty[path] = node;
            Stamps[path] = Math.Max(zxid, Stamps.GetValueOrDefault(path, NoObject));
        }
    }

    private async ValueTask ApplyChangeAsync(NodeChange change, long zxid, BatchWrites batch, CancellationToken ct)
    {
        string? parentPath = ZkPath.Parent(change.Path);
        if (change.Kind == Primitives.NodeChangeKind.Delete)
        {
            // Read too: the tombstone's write is conditional on what it replaces.
            await LoadAsync(change.Path, batch, ct).ConfigureAwait(false);
            batch.Change(change.Path, null, zxid);
            if (parentPath is not null && await LoadAsync(parentPath, batch, ct).ConfigureAwait(false) is { } parent)
            {
                parent.Children.Remove(ZkPath.Name(change.Path));
                batch.Change(parentPath, parent, zxid);
            }
            return;
        }
        var existing = await LoadAsync(change.Path, batch, ct).ConfigureAwait(false);
        if (existing is null)
        {
            batch.Change(change.Path, new StoredNode(change.Stat, change.Acl ?? Acl.OpenAclUnsafe, change.WritesData ? change.Data : [], new SortedSet<string>(StringComparer.Ordinal))
            {
                UsageThrough = change.UsageThrough,
            }, zxid);
            if (parentPath is not null && await LoadAsync(parentPath, batch, ct).ConfigureAwait(false) is { } parent)
            {
                parent.Children.Add(ZkPath.Name(change.Path));
                batch.Change(parentPath, parent, zxid);
            }
            return;
        }
        if (change.Stat.Czxid == zxid && parentPath is not null && await LoadAsync(parentPath, batch, ct).ConfigureAwait(false) is { } createdIn
            && createdIn.Children.Add(ZkPath.Name(change.Path)))
        {
            // A create whose object is already there: this batch's own write from an earlier round
            // (a PUT that went in with its answer lost; the SDK's retry was refused) or another
            // applier's. Its parent must still list it: the parent is written after its children.
            batch.Change(parentPath, createdIn, zxid);
        }
        existing.Stat = change.Stat;
        if (change.WritesData)
        {
            existing.Data = change.Data;
        }
        if (change.Acl is not null)
        {
            existing.Acl = change.Acl;
        }
        if (change.UsageThrough != 0)
        {
            existing.UsageThrough = change.UsageThrough;
        }
        batch.Change(change.Path, existing, zxid);
    }

    /// <summary>The node as this round has it so far: staged, else as this instance last knew or now reads it (a copy to change).</summary>
    private async ValueTask<StoredNode?> LoadAsync(string path, BatchWrites batch, CancellationToken ct)
    {
        if (batch.Dirty.TryGetValue(path, out var staged))
        {
            return staged;
        }
        if (!batch.Read.TryGetValue(path, out var version))
        {
            version = _cache.TryGetValue(path, out var cached) ? cached : await FetchAsync(path, ct).ConfigureAwait(false);
            batch.Read[path] = version;
        }
        return version.Node is null ? null : Copy(version.Node);
    }

    private static StoredNode Copy(StoredNode node) =>
        new(node.Stat, node.Acl, node.Data, new SortedSet<string>(node.Children, StringComparer.Ordinal)) { UsageThrough = node.UsageThrough };

    private void Remember(string path, ObjectVersion version)
    {
        if (_cache.Count >= CacheLimit && !_cache.ContainsKey(path))
        {
            _cache.Clear();
        }
        _cache[path] = version;
    }

    private async ValueTask<StoredNode?> GetAsync(string path, CancellationToken ct) => (await FetchAsync(path, ct).ConfigureAwait(false)).Node;

    private async ValueTask<ObjectVersion> FetchAsync(string path, CancellationToken ct)
    {
        try
        {
            using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = Key(path) }, ct).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
            long? stamp = Hex(response.Metadata[StampMetadata]);
            if (buffer.Length == 0)
            {
                return new ObjectVersion(null, response.ETag, stamp ?? NoObject);
            }
            var node = Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            node.Epoch = EpochStamp.Parse(response.Metadata[EpochMetadata]);
            node.UsageThrough = Hex(response.Metadata[UsageThroughMetadata]) ?? 0;
            // An object written before stamps: no transaction older than its newest zxid is newer.
            return new ObjectVersion(node, response.ETag, stamp ?? Math.Max(node.Stat.Mzxid, node.Stat.Pzxid));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return new ObjectVersion(null, null, NoObject);
        }
    }

    private static long? Hex(string? text) =>
        long.TryParse(text, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out long value) ? value : null;

    private static string ToHex(long value) => value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes the node (null: its tombstone, an empty object) over <paramref name="read"/>, conditional
    /// on the key still holding it. Null when it no longer does: another applier wrote in between.
    /// With no <paramref name="read"/> the write is unconditional (an import's, which no applier meets).
    /// </summary>
    private async ValueTask<ObjectVersion?> PutAsync(string path, StoredNode? node, ObjectVersion? read, long stamp, EpochStamp? epoch, CancellationToken ct)
    {
        byte[] body = node is null ? [] : Encode(node);
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = Key(path),
            InputStream = new MemoryStream(body, writable: false),
            ContentType = "application/octet-stream",
            UseChunkEncoding = !_disableChunkEncoding,
        };
        if (read is { ETag: null })
        {
            request.IfNoneMatch = "*";
        }
        else if (read is { ETag: { } etag })
        {
            request.IfMatch = etag;
        }
        request.Metadata.Add(StampMetadata, ToHex(stamp));
        if (node is not null && epoch?.Truncate(EpochMetadataLimit) is { } epochStamp)
        {
            request.Metadata.Add(EpochMetadata, epochStamp.Encode());
        }
        if (node is not null && node.UsageThrough != 0)
        {
            request.Metadata.Add(UsageThroughMetadata, ToHex(node.UsageThrough));
        }
        try
        {
            var response = await _s3.PutObjectAsync(request, ct).ConfigureAwait(false);
            return new ObjectVersion(node, response.ETag, stamp);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is System.Net.HttpStatusCode.PreconditionFailed or System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            // 412: the object changed; 409: a concurrent conditional write to it; 404: If-Match on a key now empty.
            return null;
        }
    }

    internal static int Depth(string path) => path == "/" ? 0 : path.Count(c => c == '/');

    private static byte[] Encode(StoredNode node)
    {
        var buffer = new FrameBuffer(64 + (node.Data?.Length ?? 0));
        var writer = new JuteWriter(buffer);
        writer.WriteInt(ObjectFormat);
        node.Stat.Write(ref writer);
        Acl.WriteList(ref writer, node.Acl);
        writer.WriteBuffer(node.Data);
        writer.WriteInt(node.Children.Count);
        foreach (string child in node.Children)
        {
            writer.WriteString(child);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static StoredNode Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new JuteReader(bytes);
        int format = reader.ReadInt();
        if (format != ObjectFormat)
        {
            JuteFormatException.ThrowInvalid($"Unknown node object format {format}.");
        }
        var stat = Stat.Read(ref reader);
        var acl = Acl.ReadList(ref reader) ?? [];
        byte[]? data = reader.ReadBuffer();
        int count = reader.ReadVectorCount(4);
        var children = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            children.Add(reader.ReadString() ?? "");
        }
        return new StoredNode(stat, acl, data, children);
    }
}
