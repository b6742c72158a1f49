using System.Buffers.Binary;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>One user-storage node as a snapshot holds it.</summary>
internal readonly record struct UserRow(string Path, byte[]? Data, Stat Stat, IReadOnlyList<Acl> Acl);

/// <summary>
/// What a snapshot holds: the state at or after log record <see cref="FromSeq"/> (replaying the log
/// from there gives the exact state, see <see cref="DurableStore"/>).
/// </summary>
/// <remarks><paramref name="Zxid"/>: every transaction up to it is in the snapshot (later ones may be too).</remarks>
internal sealed record SnapshotImage(long FromSeq, long Epoch, long Zxid, IReadOnlyList<SystemNode> SystemNodes, IReadOnlyList<SessionRecord> Sessions, IReadOnlyList<UserRow> UserNodes)
{
    public static SnapshotImage Empty { get; } = new(0, 0, 0, [], [], []);
}

/// <summary>A node as a snapshot writes it: its user-storage row and its system state, either of which may be missing.</summary>
internal readonly record struct SnapshotNode(string Path, UserRow? User, SystemNode? System);

/// <summary>
/// A snapshot file <c>snapshot.&lt;from seq, 16 hex digits&gt;</c>: a header (magic, from seq, epoch, the zxid
/// it holds everything up to), then
/// entries <c>[length u32][kind byte][fields]</c> in Jute primitives (sessions, then one entry per node
/// with its user row and its system state, the latter only where it differs from the row's Stat or
/// ACL; ACL lists once, then by index; compact Stats), an end entry, and the CRC-32C of everything
/// before it. Written to a temporary name, fsync'd and renamed, so a snapshot file is whole or absent.
/// </summary>
internal static class SnapshotFile
{
    public const string Prefix = "snapshot.";
    private const ulong Magic = 0x31504E5357474B5A; // "ZKGWSNP1"
    private const int HeaderSize = 32;
    private const byte SessionKind = 2, NodeKind = 4, EndKind = 0;
    private const byte HasUser = 1, HasSystem = 2, SystemStatSame = 4, SystemAclSame = 8;

    /// <summary>Writes the image durably and returns the file's path and size.</summary>
    public static (string Path, long Bytes) Write(string dir, long fromSeq, long epoch, long zxid, IEnumerable<SessionRecord> sessions, IEnumerable<SnapshotNode> nodes)
    {
        string path = Path.Combine(dir, $"{Prefix}{fromSeq:x16}");
        string temp = path + ".tmp";
        uint crc = ~0u;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], fromSeq);
            BinaryPrimitives.WriteInt64LittleEndian(header[16..], epoch);
            BinaryPrimitives.WriteInt64LittleEndian(header[24..], zxid);
            file.Write(header);
            crc = Crc32C.Append(crc, header);
            var buffer = new FrameBuffer(4096);
            var acls = new AclTable();
            void Entry(FrameBuffer entry)
            {
                Span<byte> length = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)entry.WrittenCount);
                file.Write(length);
                file.Write(entry.WrittenSpan);
                crc = Crc32C.Append(Crc32C.Append(crc, length), entry.WrittenSpan);
            }
            foreach (var session in sessions)
            {
                buffer.Clear();
                var writer = new JuteWriter(buffer);
                writer.WriteByte(SessionKind);
                writer.WriteLong(session.SessionId);
                writer.WriteBuffer(session.Password);
                writer.WriteInt(session.TimeoutMs);
                Entry(buffer);
            }
            foreach (var node in nodes)
            {
                buffer.Clear();
                var writer = new JuteWriter(buffer);
                var user = node.User;
                var system = node.System;
                bool statSame = user is { } u && system is not null && u.Stat == system.Stat;
                bool aclSame = user is { } v && system is not null && (ReferenceEquals(v.Acl, system.Acl) || v.Acl.SequenceEqual(system.Acl));
                writer.WriteByte(NodeKind);
                writer.WriteByte((byte)((user is not null ? HasUser : 0) | (system is not null ? HasSystem : 0) | (statSame ? SystemStatSame : 0) | (aclSame ? SystemAclSame : 0)));
                writer.WriteString(node.Path);
                if (user is { } row)
                {
                    writer.WriteBuffer(row.Data);
                    CompactStat.WriteStandalone(ref writer, row.Stat);
                    acls.Write(ref writer, row.Acl);
                }
                if (system is not null)
                {
                    if (!statSame)
                    {
                        CompactStat.WriteStandalone(ref writer, system.Stat);
                    }
                    if (!aclSame)
                    {
                        acls.Write(ref writer, system.Acl);
                    }
                }
                Entry(buffer);
            }
            buffer.Clear();
            new JuteWriter(buffer).WriteByte(EndKind);
            Entry(buffer);
            Span<byte> trailer = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, ~crc);
            file.Write(trailer);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(dir);
        return (path, new FileInfo(path).Length);
    }

    /// <summary>The snapshot files in the directory, newest (highest from seq) first.</summary>
    public static IReadOnlyList<(long FromSeq, string Path)> Files(string dir) =>
        [.. Directory.EnumerateFiles(dir, Prefix + "*")
            .Select(p => (Seq: RecordLog.ParseSeq(Path.GetFileName(p), Prefix), Path: p))
            .Where(f => f.Seq >= 0)
            .OrderByDescending(f => f.Seq)];

    /// <summary>
    /// Reads a whole snapshot, checking its CRC before anything of it is used. A damaged file is an
    /// <see cref="InvalidDataException"/> naming it and the offset.
    /// </summary>
    public static SnapshotImage Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderSize + 4 + 5 || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != Magic)
        {
            throw new InvalidDataException($"{path}: not a ZkGateway snapshot (bad header)");
        }
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4));
        if (Crc32C.Of(bytes.AsSpan(0, bytes.Length - 4)) != expected)
        {
            throw new InvalidDataException($"{path}: the checksum does not match ({bytes.Length} bytes): the file is damaged");
        }
        long fromSeq = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        long epoch = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        long zxid = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24));
        var system = new List<SystemNode>();
        var sessions = new List<SessionRecord>();
        var users = new List<UserRow>();
        var acls = new AclTable();
        int offset = HeaderSize;
        while (true)
        {
            int length = offset + 4 <= bytes.Length - 4 ? (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)), int.MaxValue) : -1;
            if (length < 1 || length > bytes.Length - 4 - offset - 4)
            {
                throw new InvalidDataException($"{path}: offset {offset}: an entry length of {length} bytes past the end");
            }
            var reader = new JuteReader(bytes.AsSpan(offset + 4, length));
            try
            {
                switch (reader.ReadByte())
                {
                    case EndKind:
                        return new SnapshotImage(fromSeq, epoch, zxid, system, sessions, users);
                    case SessionKind:
                        {
                            long id = reader.ReadLong();
                            byte[] password = reader.ReadBuffer() ?? [];
                            sessions.Add(new SessionRecord(id, password, reader.ReadInt()));
                            break;
                        }
                    case NodeKind:
                        {
                            byte flags = reader.ReadByte();
                            string nodePath = reader.ReadString() ?? "";
                            UserRow? row = null;
                            if ((flags & HasUser) != 0)
                            {
                                byte[]? data = reader.ReadBuffer();
                                var stat = CompactStat.ReadStandalone(ref reader);
                                row = new UserRow(nodePath, data, stat, acls.Read(ref reader));
                                users.Add(row.Value);
                            }
                            if ((flags & HasSystem) != 0)
                            {
                                var stat = (flags & SystemStatSame) != 0 && row is { } r1 ? r1.Stat : CompactStat.ReadStandalone(ref reader);
                                var acl = (flags & SystemAclSame) != 0 && row is { } r2 ? r2.Acl : acls.Read(ref reader);
                                system.Add(new SystemNode(nodePath, stat, acl));
                            }
                            break;
                        }
                    default:
                        throw new InvalidDataException($"{path}: offset {offset}: unknown entry kind");
                }
            }
            catch (JuteFormatException e)
            {
                throw new InvalidDataException($"{path}: offset {offset}: {e.Message}", e);
            }
            offset += 4 + length;
        }
    }
}
