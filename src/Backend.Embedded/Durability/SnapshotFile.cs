using System.Buffers.Binary;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>One user-storage node as a snapshot holds it.</summary>
/// <remarks><paramref name="StatSource"/>: the node's system record as read with it, whose Stat the user storage may share (<see cref="NodeChange.StatSource"/>).</remarks>
internal readonly record struct UserRow(string Path, byte[]? Data, Stat Stat, IReadOnlyList<Acl> Acl, SystemNode? StatSource = null);

/// <summary>
/// What a snapshot holds: the state at or after log record <see cref="FromSeq"/> (replaying the log
/// from there gives the exact state, see <see cref="DurableStore"/>).
/// </summary>
/// <remarks><paramref name="Zxid"/>: every transaction up to it is in the snapshot (later ones may be too).</remarks>
internal sealed record SnapshotImage(long FromSeq, long Epoch, long Zxid, IReadOnlyList<SystemNode> SystemNodes, IReadOnlyList<SessionRecord> Sessions, IReadOnlyList<UserRow> UserNodes)
{
    /// <summary>Set for a format-2 snapshot opened lazily: the nodes are in it, not in the lists (which are empty).</summary>
    public IndexedSnapshot? Indexed { get; init; }

    public static SnapshotImage Empty { get; } = new(0, 0, 0, [], [], []);
}

/// <summary>A node as a snapshot writes it: its user-storage row and its system state, either of which may be missing.</summary>
internal readonly record struct SnapshotNode(string Path, UserRow? User, SystemNode? System);

/// <summary>
/// A snapshot file <c>snapshot.&lt;from seq, 16 hex digits&gt;</c>: a header (magic, from seq, epoch, the zxid
/// it holds everything up to), then entries <c>[length u32][kind byte][fields]</c> in Jute primitives
/// (sessions, then one entry per node with its user row and its system state, the latter only where it
/// differs from the row's Stat or ACL; compact Stats), an end entry, and the CRC-32C of everything
/// before it. Written to a temporary name, fsync'd and renamed, so a snapshot file is whole or absent.
/// <para>
/// Format 2 (<c>ZKGWSNP2</c>, written since lazy recovery) refers to ACL lists by index only and puts,
/// between the end entry and the CRC, the ACL table, a hash index from path to entry offset and a
/// footer: <see cref="IndexedSnapshot"/> finds a node without parsing the rest. Format 1
/// (<c>ZKGWSNP1</c>: ACL lists inline at first use, no index) is still read, whole.
/// </para>
/// </summary>
internal static class SnapshotFile
{
    public const string Prefix = "snapshot.";
    internal const ulong MagicV1 = 0x31504E5357474B5A; // "ZKGWSNP1"
    internal const ulong MagicV2 = 0x32504E5357474B5A; // "ZKGWSNP2"
    internal const int HeaderSize = 32;
    internal const int FooterSize = 48;
    internal const byte SessionKind = 2, NodeKind = 4, EndKind = 0;
    private const byte HasUser = 1, HasSystem = 2, SystemStatSame = 4, SystemAclSame = 8;

    /// <summary>Writes the image durably (format 2) and returns the file's path and size.</summary>
    public static (string Path, long Bytes) Write(string dir, long fromSeq, long epoch, long zxid, IEnumerable<SessionRecord> sessions, IEnumerable<SnapshotNode> nodes)
    {
        string path = Path.Combine(dir, $"{Prefix}{fromSeq:x16}");
        string temp = path + ".tmp";
        uint crc = ~0u;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
        {
            void Raw(ReadOnlySpan<byte> bytes)
            {
                file.Write(bytes);
                crc = Crc32C.Append(crc, bytes);
            }
            Span<byte> header = stackalloc byte[HeaderSize];
            BinaryPrimitives.WriteUInt64LittleEndian(header, MagicV2);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], fromSeq);
            BinaryPrimitives.WriteInt64LittleEndian(header[16..], epoch);
            BinaryPrimitives.WriteInt64LittleEndian(header[24..], zxid);
            Raw(header);
            var buffer = new FrameBuffer(4096);
            var acls = new AclTable();
            var index = new SnapshotPathIndex.Builder();
            long userNodes = 0, systemNodes = 0, userBytes = 0;
            void Entry(FrameBuffer entry)
            {
                Span<byte> length = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)entry.WrittenCount);
                Raw(length);
                Raw(entry.WrittenSpan);
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
                    acls.WriteIndex(ref writer, row.Acl);
                    userNodes++;
                    userBytes += row.Path.Length + (row.Data?.Length ?? 0);
                }
                if (system is not null)
                {
                    if (!statSame)
                    {
                        CompactStat.WriteStandalone(ref writer, system.Stat);
                    }
                    if (!aclSame)
                    {
                        acls.WriteIndex(ref writer, system.Acl);
                    }
                    systemNodes++;
                }
                index.Add(node.Path, file.Position);
                Entry(buffer);
            }
            buffer.Clear();
            new JuteWriter(buffer).WriteByte(EndKind);
            Entry(buffer);
            long aclOffset = file.Position;
            buffer.Clear();
            var tableWriter = new JuteWriter(buffer);
            tableWriter.WriteInt(acls.Lists.Count);
            foreach (var list in acls.Lists)
            {
                Acl.WriteList(ref tableWriter, list);
            }
            Raw(buffer.WrittenSpan);
            long indexOffset = file.Position;
            long slots = index.WriteSlots(Raw);
            Span<byte> footer = stackalloc byte[FooterSize];
            BinaryPrimitives.WriteInt64LittleEndian(footer, aclOffset);
            BinaryPrimitives.WriteInt64LittleEndian(footer[8..], indexOffset);
            BinaryPrimitives.WriteInt64LittleEndian(footer[16..], slots);
            BinaryPrimitives.WriteInt64LittleEndian(footer[24..], userNodes);
            BinaryPrimitives.WriteInt64LittleEndian(footer[32..], systemNodes);
            BinaryPrimitives.WriteInt64LittleEndian(footer[40..], userBytes);
            Raw(footer);
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
    /// Reads a whole snapshot of either format, checking its CRC before anything of it is used. A
    /// damaged file is an <see cref="InvalidDataException"/> naming it and the offset.
    /// </summary>
    public static SnapshotImage Read(string path) => Read(path, lazy: false);

    /// <summary>
    /// <paramref name="lazy"/>: a format-2 snapshot is opened through its index (<see cref="IndexedSnapshot"/>,
    /// CRC checked, nodes not parsed) and the image carries it instead of node lists.
    /// </summary>
    public static SnapshotImage Read(string path, bool lazy)
    {
        if (lazy && IndexedSnapshot.Open(path) is { } indexed)
        {
            return new SnapshotImage(indexed.FromSeq, indexed.Epoch, indexed.Zxid, [], indexed.Sessions, []) { Indexed = indexed };
        }
        byte[] bytes = File.ReadAllBytes(path);
        ulong magic = bytes.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : 0;
        bool v2 = magic == MagicV2;
        if (bytes.Length < HeaderSize + 4 + 5 + (v2 ? FooterSize : 0) || (magic != MagicV1 && !v2))
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
        // Format 2's entries end where its ACL table begins; format 1's at the CRC.
        long entriesEnd = bytes.Length - 4;
        AclTable acls = new();
        if (v2)
        {
            entriesEnd = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(bytes.Length - 4 - FooterSize));
            if (entriesEnd < HeaderSize)
            {
                throw new InvalidDataException($"{path}: the ACL table's offset {entriesEnd} is outside the file");
            }
            acls = ReadAclTable(path, bytes.AsSpan(0, bytes.Length - 4 - FooterSize), entriesEnd);
        }
        var system = new List<SystemNode>();
        var sessions = new List<SessionRecord>();
        var users = new List<UserRow>();
        int offset = HeaderSize;
        while (true)
        {
            int length = offset + 4 <= entriesEnd ? (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)), int.MaxValue) : -1;
            if (length < 1 || length > entriesEnd - offset - 4)
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
                        sessions.Add(ReadSession(ref reader));
                        break;
                    case NodeKind:
                        {
                            var node = ReadNode(ref reader, acls, v2);
                            if (node.User is { } row)
                            {
                                users.Add(row);
                            }
                            if (node.System is { } systemNode)
                            {
                                system.Add(systemNode);
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

    /// <summary>Format 2's ACL table, from <paramref name="offset"/> to the index.</summary>
    internal static AclTable ReadAclTable(string path, ReadOnlySpan<byte> bytes, long offset)
    {
        if (offset < 0 || offset >= bytes.Length)
        {
            throw new InvalidDataException($"{path}: the ACL table's offset {offset} is outside the file");
        }
        try
        {
            var reader = new JuteReader(bytes[(int)offset..]);
            int count = reader.ReadInt();
            if (count < 0)
            {
                JuteFormatException.ThrowInvalid($"{count} ACL lists.");
            }
            var lists = new List<IReadOnlyList<Acl>>(Math.Min(count, 1024));
            for (int i = 0; i < count; i++)
            {
                lists.Add(Acl.ReadList(ref reader) ?? []);
            }
            return new AclTable(lists);
        }
        catch (JuteFormatException e)
        {
            throw new InvalidDataException($"{path}: offset {offset}: {e.Message}", e);
        }
    }

    internal static SessionRecord ReadSession(ref JuteReader reader)
    {
        long id = reader.ReadLong();
        byte[] password = reader.ReadBuffer() ?? [];
        return new SessionRecord(id, password, reader.ReadInt());
    }

    /// <summary>A node entry after its kind byte; <paramref name="v2"/>: ACLs by index into a table known in full.</summary>
    internal static SnapshotNode ReadNode(ref JuteReader reader, AclTable acls, bool v2)
    {
        byte flags = reader.ReadByte();
        string nodePath = reader.ReadString() ?? "";
        UserRow? row = null;
        SystemNode? system = null;
        if ((flags & HasUser) != 0)
        {
            byte[]? data = reader.ReadBuffer();
            var stat = CompactStat.ReadStandalone(ref reader);
            row = new UserRow(nodePath, data, stat, v2 ? acls.ReadIndex(ref reader) : acls.Read(ref reader));
        }
        if ((flags & HasSystem) != 0)
        {
            var stat = (flags & SystemStatSame) != 0 && row is { } r1 ? r1.Stat : CompactStat.ReadStandalone(ref reader);
            var acl = (flags & SystemAclSame) != 0 && row is { } r2 ? r2.Acl : v2 ? acls.ReadIndex(ref reader) : acls.Read(ref reader);
            system = new SystemNode(nodePath, stat, acl);
            if (row is { } r3)
            {
                row = r3 with { StatSource = system };
            }
        }
        return new SnapshotNode(nodePath, row, system);
    }
}
