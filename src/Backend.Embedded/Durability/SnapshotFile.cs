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
internal sealed record SnapshotImage(long FromSeq, long Epoch, IEnumerable<SystemNode> SystemNodes, IEnumerable<SessionRecord> Sessions, IEnumerable<UserRow> UserNodes);

/// <summary>
/// A snapshot file <c>snapshot.&lt;from seq, 16 hex digits&gt;</c>: a header (magic, from seq, epoch), then
/// entries <c>[length u32][kind byte][fields]</c> in Jute primitives (system nodes, sessions, user nodes;
/// ACL lists once, then by index), an end entry, and the CRC-32C of everything before it. Written to a
/// temporary name, fsync'd and renamed, so a snapshot file is whole or absent.
/// </summary>
internal static class SnapshotFile
{
    public const string Prefix = "snapshot.";
    private const ulong Magic = 0x31504E5357474B5A; // "ZKGWSNP1"
    private const byte SystemNodeKind = 1, SessionKind = 2, UserNodeKind = 3, EndKind = 0;

    /// <summary>Writes the image durably and returns the file's path and size.</summary>
    public static (string Path, long Bytes) Write(string dir, SnapshotImage image)
    {
        string path = Path.Combine(dir, $"{Prefix}{image.FromSeq:x16}");
        string temp = path + ".tmp";
        uint crc = ~0u;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
        {
            Span<byte> header = stackalloc byte[24];
            BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], image.FromSeq);
            BinaryPrimitives.WriteInt64LittleEndian(header[16..], image.Epoch);
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
            foreach (var node in image.SystemNodes)
            {
                buffer.Clear();
                var writer = new JuteWriter(buffer);
                writer.WriteByte(SystemNodeKind);
                writer.WriteString(node.Path);
                node.Stat.Write(ref writer);
                acls.Write(ref writer, node.Acl);
                Entry(buffer);
            }
            foreach (var session in image.Sessions)
            {
                buffer.Clear();
                var writer = new JuteWriter(buffer);
                writer.WriteByte(SessionKind);
                writer.WriteLong(session.SessionId);
                writer.WriteBuffer(session.Password);
                writer.WriteInt(session.TimeoutMs);
                Entry(buffer);
            }
            foreach (var node in image.UserNodes)
            {
                buffer.Clear();
                var writer = new JuteWriter(buffer);
                writer.WriteByte(UserNodeKind);
                writer.WriteString(node.Path);
                writer.WriteBuffer(node.Data);
                node.Stat.Write(ref writer);
                acls.Write(ref writer, node.Acl);
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
        if (bytes.Length < 24 + 4 + 5 || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != Magic)
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
        var system = new List<SystemNode>();
        var sessions = new List<SessionRecord>();
        var users = new List<UserRow>();
        var acls = new AclTable();
        int offset = 24;
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
                        return new SnapshotImage(fromSeq, epoch, system, sessions, users);
                    case SystemNodeKind:
                        {
                            string nodePath = reader.ReadString() ?? "";
                            var stat = Stat.Read(ref reader);
                            system.Add(new SystemNode(nodePath, stat, acls.Read(ref reader)));
                            break;
                        }
                    case SessionKind:
                        {
                            long id = reader.ReadLong();
                            byte[] password = reader.ReadBuffer() ?? [];
                            sessions.Add(new SessionRecord(id, password, reader.ReadInt()));
                            break;
                        }
                    case UserNodeKind:
                        {
                            string nodePath = reader.ReadString() ?? "";
                            byte[]? data = reader.ReadBuffer();
                            var stat = Stat.Read(ref reader);
                            users.Add(new UserRow(nodePath, data, stat, acls.Read(ref reader)));
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
