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

    private readonly IAmazonS3 _s3;
    private readonly AppliedMarker _applied;
    private readonly string _bucket;
    private readonly bool _disableChunkEncoding;

    // The distributor is the only writer: it keeps what it wrote, so a parent's child list is not
    // read back from S3 before every create. Bounded; a miss costs one GET.
    private readonly Dictionary<string, StoredNode?> _cache = new(StringComparer.Ordinal);
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
        var dirty = new Dictionary<string, StoredNode?>(StringComparer.Ordinal);
        long last = 0;
        foreach (var txn in txns)
        {
            foreach (var change in txn.Changes)
            {
                await ApplyChangeAsync(change, dirty, cancellationToken).ConfigureAwait(false);
            }
            last = Math.Max(last, txn.Zxid);
        }

        // Children before parents for puts; deletions last (their parents no longer list them).
        foreach (var (path, node) in dirty.Where(d => d.Value is not null).OrderByDescending(d => Depth(d.Key)))
        {
            await PutAsync(path, node!, epoch, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (path, _) in dirty.Where(d => d.Value is null))
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = Key(path) }, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (path, node) in dirty)
        {
            Remember(path, node);
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

    private async ValueTask ApplyChangeAsync(NodeChange change, Dictionary<string, StoredNode?> dirty, CancellationToken ct)
    {
        string? parentPath = ZkPath.Parent(change.Path);
        if (change.Kind == Primitives.NodeChangeKind.Delete)
        {
            dirty[change.Path] = null;
            if (parentPath is not null && await LoadAsync(parentPath, dirty, ct).ConfigureAwait(false) is { } parent)
            {
                parent.Children.Remove(ZkPath.Name(change.Path));
                dirty[parentPath] = parent;
            }
            return;
        }
        var existing = await LoadAsync(change.Path, dirty, ct).ConfigureAwait(false);
        if (existing is null)
        {
            dirty[change.Path] = new StoredNode(change.Stat, change.Acl ?? Acl.OpenAclUnsafe, change.WritesData ? change.Data : [], new SortedSet<string>(StringComparer.Ordinal))
            {
                UsageThrough = change.UsageThrough,
            };
            if (parentPath is not null && await LoadAsync(parentPath, dirty, ct).ConfigureAwait(false) is { } parent)
            {
                parent.Children.Add(ZkPath.Name(change.Path));
                dirty[parentPath] = parent;
            }
            return;
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
        dirty[change.Path] = existing;
    }

    private async ValueTask<StoredNode?> LoadAsync(string path, Dictionary<string, StoredNode?> dirty, CancellationToken ct)
    {
        if (dirty.TryGetValue(path, out var staged))
        {
            return staged;
        }
        if (_cache.TryGetValue(path, out var cached))
        {
            return cached is null ? null : Copy(cached);
        }
        return await FetchAsync(path, ct).ConfigureAwait(false);
    }

    private static StoredNode Copy(StoredNode node) =>
        new(node.Stat, node.Acl, node.Data, new SortedSet<string>(node.Children, StringComparer.Ordinal)) { UsageThrough = node.UsageThrough };

    private void Remember(string path, StoredNode? node)
    {
        if (_cache.Count >= CacheLimit && !_cache.ContainsKey(path))
        {
            _cache.Clear();
        }
        _cache[path] = node;
    }

    private ValueTask<StoredNode?> GetAsync(string path, CancellationToken ct) => FetchAsync(path, ct);

    private async ValueTask<StoredNode?> FetchAsync(string path, CancellationToken ct)
    {
        try
        {
            using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = Key(path) }, ct).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
            var node = Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            node.Epoch = EpochStamp.Parse(response.Metadata[EpochMetadata]);
            node.UsageThrough = long.TryParse(response.Metadata[UsageThroughMetadata], System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out long through) ? through : 0;
            return node;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async ValueTask PutAsync(string path, StoredNode node, EpochStamp? epoch, CancellationToken ct)
    {
        byte[] body = Encode(node);
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = Key(path),
            InputStream = new MemoryStream(body, writable: false),
            ContentType = "application/octet-stream",
            UseChunkEncoding = !_disableChunkEncoding,
        };
        if (epoch?.Truncate(EpochMetadataLimit) is { } stamp)
        {
            request.Metadata.Add(EpochMetadata, stamp.Encode());
        }
        if (node.UsageThrough != 0)
        {
            request.Metadata.Add(UsageThroughMetadata, node.UsageThrough.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }
        await _s3.PutObjectAsync(request, ct).ConfigureAwait(false);
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
