using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// A format-2 snapshot opened without parsing its nodes: the whole file's CRC is checked (a sequential
/// read, so a damaged file is refused before anything of it is used, as a whole read refuses it), the
/// sessions and the ACL table are read, and a node is then found through the path index
/// (<see cref="SnapshotPathIndex"/>) with positional reads. Recovery answers reads from it while the
/// tree loads in the background (<see cref="Nodes"/>), see docs/storage.md.
/// </summary>
internal sealed class IndexedSnapshot : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly string _path;
    private readonly AclTable _acls;
    private readonly long _indexOffset;
    private readonly long _slots;
    private readonly long _entriesEnd;
    private readonly long _firstNode;

    private IndexedSnapshot(SafeFileHandle file, string path, AclTable acls, long indexOffset, long slots, long entriesEnd, long firstNode)
    {
        _file = file;
        _path = path;
        _acls = acls;
        _indexOffset = indexOffset;
        _slots = slots;
        _entriesEnd = entriesEnd;
        _firstNode = firstNode;
    }

    public long FromSeq { get; private init; }
    public long Epoch { get; private init; }
    public long Zxid { get; private init; }
    public IReadOnlyList<SessionRecord> Sessions { get; private init; } = [];
    public long UserNodes { get; private init; }
    public long SystemNodes { get; private init; }
    /// <summary>The user rows' path and data bytes, as <see cref="EmbeddedUserStorage.ApproximateDataSize"/> counts them.</summary>
    public long UserBytes { get; private init; }

    /// <summary>
    /// Opens a format-2 snapshot, or returns null for format 1 (read whole instead). A damaged file is
    /// an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static IndexedSnapshot? Open(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            long length = RandomAccess.GetLength(file);
            Span<byte> header = stackalloc byte[SnapshotFile.HeaderSize];
            if (length < SnapshotFile.HeaderSize || RandomAccess.Read(file, header, 0) < SnapshotFile.HeaderSize)
            {
                throw new InvalidDataException($"{path}: not a ZkGateway snapshot (bad header)");
            }
            ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (magic == SnapshotFile.MagicV1)
            {
                file.Dispose();
                return null;
            }
            if (magic != SnapshotFile.MagicV2 || length < SnapshotFile.HeaderSize + 5 + SnapshotFile.FooterSize + 4)
            {
                throw new InvalidDataException($"{path}: not a ZkGateway snapshot (bad header)");
            }
            CheckCrc(file, path, length);
            Span<byte> footer = stackalloc byte[SnapshotFile.FooterSize];
            RandomAccess.Read(file, footer, length - 4 - SnapshotFile.FooterSize);
            long aclOffset = BinaryPrimitives.ReadInt64LittleEndian(footer);
            long indexOffset = BinaryPrimitives.ReadInt64LittleEndian(footer[8..]);
            long slots = BinaryPrimitives.ReadInt64LittleEndian(footer[16..]);
            if (aclOffset < SnapshotFile.HeaderSize || indexOffset <= aclOffset || slots < 1 || (slots & (slots - 1)) != 0
                || indexOffset + slots * 8 != length - 4 - SnapshotFile.FooterSize)
            {
                throw new InvalidDataException($"{path}: the footer does not describe the file");
            }
            var aclBytes = new byte[indexOffset - aclOffset];
            RandomAccess.Read(file, aclBytes, aclOffset);
            var acls = SnapshotFile.ReadAclTable(path, aclBytes, 0);
            var sessions = new List<SessionRecord>();
            var reader = new EntryReader(file, path, SnapshotFile.HeaderSize, aclOffset);
            long firstNode;
            while (true)
            {
                long at = reader.Offset;
                var entry = reader.Next();
                if (entry.Span[0] != SnapshotFile.SessionKind)
                {
                    firstNode = at;
                    break;
                }
                try
                {
                    var jute = new JuteReader(entry.Span[1..]);
                    sessions.Add(SnapshotFile.ReadSession(ref jute));
                }
                catch (JuteFormatException e)
                {
                    throw new InvalidDataException($"{path}: offset {at}: {e.Message}", e);
                }
            }
            return new IndexedSnapshot(file, path, acls, indexOffset, slots, aclOffset, firstNode)
            {
                FromSeq = BinaryPrimitives.ReadInt64LittleEndian(header[8..]),
                Epoch = BinaryPrimitives.ReadInt64LittleEndian(header[16..]),
                Zxid = BinaryPrimitives.ReadInt64LittleEndian(header[24..]),
                Sessions = sessions,
                UserNodes = BinaryPrimitives.ReadInt64LittleEndian(footer[24..]),
                SystemNodes = BinaryPrimitives.ReadInt64LittleEndian(footer[32..]),
                UserBytes = BinaryPrimitives.ReadInt64LittleEndian(footer[40..]),
            };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void CheckCrc(SafeFileHandle file, string path, long length)
    {
        var buffer = new byte[1 << 20];
        uint crc = ~0u;
        long end = length - 4;
        for (long at = 0; at < end;)
        {
            int n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - at)), at);
            if (n <= 0)
            {
                throw new InvalidDataException($"{path}: ends at {at} while being read");
            }
            crc = Crc32C.Append(crc, buffer.AsSpan(0, n));
            at += n;
        }
        Span<byte> trailer = stackalloc byte[4];
        RandomAccess.Read(file, trailer, end);
        if (~crc != BinaryPrimitives.ReadUInt32LittleEndian(trailer))
        {
            throw new InvalidDataException($"{path}: the checksum does not match ({length} bytes): the file is damaged");
        }
    }

    /// <summary>The node at <paramref name="path"/> as the snapshot holds it, or null when it holds none.</summary>
    public SnapshotNode? Find(string path)
    {
        byte[] key = Encoding.UTF8.GetBytes(path);
        long mask = _slots - 1;
        long slot = (long)(SnapshotPathIndex.Hash(key) & (ulong)mask);
        Span<byte> slotBytes = stackalloc byte[8];
        byte[] entry = new byte[256];
        while (true)
        {
            RandomAccess.Read(_file, slotBytes, _indexOffset + slot * 8);
            long offset = BinaryPrimitives.ReadInt64LittleEndian(slotBytes);
            if (offset == 0)
            {
                return null;
            }
            if (offset < _firstNode || offset + 4 > _entriesEnd)
            {
                throw new InvalidDataException($"{_path}: index slot {slot} points outside the entries ({offset})");
            }
            int read = RandomAccess.Read(_file, entry, offset);
            int length = read >= 4 ? (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(entry), int.MaxValue) : -1;
            if (length < 6 || length > _entriesEnd - offset - 4)
            {
                throw new InvalidDataException($"{_path}: offset {offset}: an entry length of {length} bytes past the end");
            }
            if (length + 4 > entry.Length)
            {
                entry = new byte[length + 4];
                RandomAccess.Read(_file, entry, offset);
            }
            // [length][kind][flags][path: i32 big-endian length, UTF-8]
            var body = entry.AsSpan(4, length);
            int pathLength = body.Length >= 6 ? BinaryPrimitives.ReadInt32BigEndian(body[2..]) : -1;
            if (body[0] == SnapshotFile.NodeKind && pathLength == key.Length && body.Length >= 6 + pathLength && body.Slice(6, pathLength).SequenceEqual(key))
            {
                return DecodeNode(entry.AsMemory(4, length), offset);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Every node entry in file order, read sequentially (the background load).</summary>
    public IEnumerable<SnapshotNode> Nodes()
    {
        var reader = new EntryReader(_file, _path, _firstNode, _entriesEnd);
        while (true)
        {
            long at = reader.Offset;
            var entry = reader.Next();
            byte kind = entry.Span[0];
            if (kind == SnapshotFile.EndKind)
            {
                yield break;
            }
            if (kind != SnapshotFile.NodeKind)
            {
                throw new InvalidDataException($"{_path}: offset {at}: unknown entry kind");
            }
            yield return DecodeNode(entry, at);
        }
    }

    private SnapshotNode DecodeNode(ReadOnlyMemory<byte> entry, long at)
    {
        var reader = new JuteReader(entry.Span[1..]);
        try
        {
            return SnapshotFile.ReadNode(ref reader, _acls, v2: true);
        }
        catch (JuteFormatException e)
        {
            throw new InvalidDataException($"{_path}: offset {at}: {e.Message}", e);
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Reads <c>[length u32][entry]</c> one after another through a 1 MiB buffer.</summary>
    private sealed class EntryReader(SafeFileHandle file, string path, long from, long end)
    {
        private byte[] _buffer = new byte[1 << 20];
        private long _bufferAt = from;
        private int _start, _count;

        public long Offset { get; private set; } = from;

        public ReadOnlyMemory<byte> Next()
        {
            Ensure(4);
            int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start)), int.MaxValue);
            if (length < 1 || length > end - Offset - 4)
            {
                throw new InvalidDataException($"{path}: offset {Offset}: an entry length of {length} bytes past the end");
            }
            Ensure(4 + length);
            var entry = new ReadOnlyMemory<byte>(_buffer, _start + 4, length);
            _start += 4 + length;
            _count -= 4 + length;
            Offset += 4 + length;
            return entry;
        }

        private void Ensure(int bytes)
        {
            if (_count >= bytes)
            {
                return;
            }
            if (bytes > _buffer.Length)
            {
                Array.Resize(ref _buffer, bytes);
            }
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _count);
            _bufferAt += _start;
            _start = 0;
            while (_count < bytes)
            {
                int n = RandomAccess.Read(file, _buffer.AsSpan(_count), _bufferAt + _count);
                if (n <= 0)
                {
                    throw new InvalidDataException($"{path}: offset {Offset}: the file ends inside an entry");
                }
                _count += n;
            }
        }
    }
}
