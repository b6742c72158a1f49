using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Migration;

/// <summary>
/// Reads a ZooKeeper 3.x snapshot file (FileSnap): the header <c>ZKSN</c>, version, dbid; the sessions;
/// the ACL cache (ReferenceCountedACLCache: each list once under a long key, -1 for world:anyone ALL);
/// the nodes in pre-order as (path, data, acl key, StatPersisted), the root as ""; the path "/" as the
/// end; then a seal (the Adler-32 of every byte before it, and "/"). 3.6+ appends the tree digest and a
/// second seal over everything. Any mismatch is an <see cref="InvalidDataException"/> naming the file
/// and offset.
/// </summary>
internal static class ZooKeeperSnapshot
{
    public const string Prefix = "snapshot.";
    private const int Magic = 0x5A4B534E; // "ZKSN"
    private const long OpenAclKey = -1;   // ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID
    private const int SealSize = 8 + 5;
    private const int DigestSize = 8 + 4 + 8; // ZxidDigest: zxid, digestVersion, digest
    private const int LastZxidSize = 8;       // 3.9's lastProcessedZxid

    /// <summary>
    /// Whether the file is a whole snapshot as ZooKeeper judges it before reading one
    /// (SnapStream.isValidSnapshot): at least 10 bytes ending with the "/" of a seal, or a gzip header.
    /// A server killed while writing a snapshot leaves one that is not; ZooKeeper then uses an older one.
    /// </summary>
    public static bool IsComplete(string path)
    {
        using var file = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        }
        if (file.Length < 10)
        {
            return false;
        }
        Span<byte> tail = stackalloc byte[5];
        file.Position = file.Length - 5;
        file.ReadExactly(tail);
        return BinaryPrimitives.ReadInt32BigEndian(tail) == 1 && tail[4] == (byte)'/';
    }

    /// <summary>The zxid in a snapshot or log file's name (Util.getZxidFromName), or -1.</summary>
    public static long ZxidOfName(string name, string prefix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return -1;
        }
        string rest = name[prefix.Length..];
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        return long.TryParse(dot < 0 ? rest : rest[..dot], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long zxid) ? zxid : -1;
    }

    /// <summary>Reads the whole snapshot into a tree, checking every seal.</summary>
    public static ZooKeeperTree Read(string path, Action<long>? progress = null)
    {
        if (path.EndsWith(".snappy", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: snappy-compressed snapshots are not read; let ZooKeeper write an uncompressed or gzip one (zookeeper.snapshot.compression.method)");
        }
        byte[] bytes = path.EndsWith(".gz", StringComparison.Ordinal) ? Gunzip(path) : File.ReadAllBytes(path);
        var tree = new ZooKeeperTree();
        var reader = new JuteReader(bytes);
        int at = 0;
        try
        {
            if (bytes.Length < 16 || reader.ReadInt() != Magic)
            {
                throw Damaged(path, 0, "not a ZooKeeper snapshot (bad magic)");
            }
            at = reader.Position;
            int version = reader.ReadInt();
            if (version != 2)
            {
                throw Damaged(path, at, $"snapshot format version {version}, this reads 2");
            }
            _ = reader.ReadLong(); // dbid
            at = reader.Position;
            int sessions = reader.ReadVectorCount(12);
            for (int i = 0; i < sessions; i++)
            {
                _ = reader.ReadLong();
                _ = reader.ReadInt();
            }
            at = reader.Position;
            var acls = new Dictionary<long, IReadOnlyList<Acl>>();
            int aclLists = reader.ReadVectorCount(12);
            for (int i = 0; i < aclLists; i++)
            {
                at = reader.Position;
                long key = reader.ReadLong();
                acls[key] = Acl.ReadList(ref reader) ?? throw Damaged(path, at, "an ACL list is missing");
            }
            while (true)
            {
                at = reader.Position;
                string nodePath = reader.ReadString() ?? throw Damaged(path, at, "a null path");
                if (nodePath == "/")
                {
                    break;
                }
                byte[]? data = reader.ReadBuffer();
                long aclKey = reader.ReadLong();
                var stat = new Stat(reader.ReadLong(), reader.ReadLong(), reader.ReadLong(), reader.ReadLong(),
                    reader.ReadInt(), reader.ReadInt(), reader.ReadInt(), reader.ReadLong(), 0, 0, reader.ReadLong());
                IReadOnlyList<Acl> acl = aclKey == OpenAclKey ? Acl.OpenAclUnsafe
                    : acls.TryGetValue(aclKey, out var list) ? list
                    : throw Damaged(path, at, $"node {ZooKeeperTree.DisplayPath(nodePath)} refers to ACL {aclKey}, which the snapshot does not hold");
                if (!tree.AddFromSnapshot(nodePath, new ZooKeeperNode(data, acl, stat)))
                {
                    throw Damaged(path, at, $"node {nodePath} comes before its parent");
                }
                if ((tree.Count & 0x3FF) == 0)
                {
                    progress?.Invoke(reader.Position);
                }
            }
            CheckSeal(path, bytes, ref reader);
            // 3.6+: the digest, 3.9: the last processed zxid, each followed by a seal over everything before it.
            while (reader.Remaining > 0)
            {
                int block = reader.Remaining >= DigestSize + SealSize ? DigestSize : LastZxidSize;
                if (reader.Remaining < block + SealSize)
                {
                    throw Damaged(path, reader.Position, $"{reader.Remaining} bytes after the snapshot's seal");
                }
                for (int i = 0; i < block; i++)
                {
                    _ = reader.ReadByte();
                }
                CheckSeal(path, bytes, ref reader);
            }
            progress?.Invoke(bytes.Length);
            return tree;
        }
        catch (JuteFormatException e)
        {
            throw Damaged(path, at, $"the snapshot is truncated or damaged ({e.Message})");
        }
    }

    private static void CheckSeal(string path, byte[] bytes, ref JuteReader reader)
    {
        int at = reader.Position;
        uint expected = Adler32.Of(bytes.AsSpan(0, at));
        long found = reader.ReadLong();
        string? slash = reader.ReadString();
        if (found != expected || slash != "/")
        {
            throw Damaged(path, at, $"the checksum does not match (Adler-32 0x{expected:x8} over the bytes before it, the file says 0x{found:x}): the file is damaged");
        }
    }

    private static byte[] Gunzip(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var bytes = new MemoryStream();
            gzip.CopyTo(bytes);
            return bytes.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: the gzip stream is damaged ({e.Message})", e);
        }
    }

    private static InvalidDataException Damaged(string path, long offset, string what) => new($"{path}: offset {offset}: {what}");
}
