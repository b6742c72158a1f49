using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>What one log record says happened.</summary>
internal abstract record StoreRecord;

/// <summary>
/// A writer batch's commit: each applied request's system writes, session change and transaction
/// (only the user-storage changes and the zxid: what replaying it needs, not its reply or triggers).
/// Every item sets a whole state, so replaying a record on a state that already has it changes nothing
/// (what a fuzzy snapshot needs, see <see cref="DurableStore"/>).
/// </summary>
internal sealed record CommitRecord(IReadOnlyList<CommitRequest> Requests) : StoreRecord;

/// <summary>A session's negotiated timeout changed (a reconnect asked for another one).</summary>
internal sealed record SessionTimeoutRecord(long SessionId, int TimeoutMs) : StoreRecord;

/// <summary>A start-up's epoch: zxids of this run are epoch &lt;&lt; 32 | counter.</summary>
internal sealed record EpochRecord(long Epoch) : StoreRecord;

/// <summary>
/// The log records' binary form, with the Jute primitives (one binary convention in the codebase).
/// A system write whose path is one of the transaction's changes refers to that change instead of
/// repeating the path, and to its Stat and ACL where they are the same (the usual case: a node's
/// system Stat hides nothing), so a create costs about its path, its data and two compact Stats (<see cref="CompactStat"/>).
/// </summary>
internal static class StoreRecords
{
    private const byte CommitKind = 1, SessionTimeoutKind = 2, EpochKind = 3;

    // System write flags.
    private const byte HasState = 1, PathOfChange = 2, StatOfChange = 4, AclOfChange = 8;

    // Change flags.
    private const byte WritesData = 1, HasAcl = 2, Deletes = 4;

    // Session flags.
    private const byte Created = 1, Closed = 2;

    public static void Encode(FrameBuffer buffer, StoreRecord record)
    {
        buffer.Clear();
        var writer = new JuteWriter(buffer);
        switch (record)
        {
            case CommitRecord commit:
                writer.WriteByte(CommitKind);
                WriteCommit(ref writer, commit.Requests);
                break;
            case SessionTimeoutRecord timeout:
                writer.WriteByte(SessionTimeoutKind);
                writer.WriteLong(timeout.SessionId);
                writer.WriteInt(timeout.TimeoutMs);
                break;
            case EpochRecord epoch:
                writer.WriteByte(EpochKind);
                writer.WriteLong(epoch.Epoch);
                break;
            default:
                throw new ArgumentException($"Unknown record {record.GetType().Name}.", nameof(record));
        }
    }

    public static StoreRecord Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            JuteFormatException.ThrowInvalid("An empty store record.");
        }
        var reader = new JuteReader(payload[1..]);
        StoreRecord record = payload[0] switch
        {
            CommitKind => new CommitRecord(ReadCommit(ref reader)),
            SessionTimeoutKind => new SessionTimeoutRecord(reader.ReadLong(), reader.ReadInt()),
            EpochKind => new EpochRecord(reader.ReadLong()),
            _ => throw new InvalidDataException($"Unknown store record kind {payload[0]}."),
        };
        if (reader.Remaining != 0)
        {
            JuteFormatException.ThrowInvalid($"{reader.Remaining} bytes after a store record.");
        }
        return record;
    }

    private static void WriteCommit(ref JuteWriter writer, IReadOnlyList<CommitRequest> requests)
    {
        var acls = new AclTable();
        writer.WriteInt(requests.Count);
        foreach (var request in requests)
        {
            var txn = request.Pending;
            writer.WriteLong(txn.Zxid);
            writer.WriteInt(txn.Changes.Count);
            foreach (var change in txn.Changes)
            {
                byte flags = (byte)((change.Kind == NodeChangeKind.Delete ? Deletes : 0) | (change.WritesData ? WritesData : 0) | (change.Acl is not null ? HasAcl : 0));
                writer.WriteByte(flags);
                writer.WriteString(change.Path);
                if (change.Kind == NodeChangeKind.Delete)
                {
                    continue;
                }
                CompactStat.Write(ref writer, change.Stat, txn.Zxid);
                if (change.WritesData)
                {
                    writer.WriteBuffer(change.Data);
                }
                if (change.Acl is { } acl)
                {
                    acls.Write(ref writer, acl);
                }
            }
            writer.WriteInt(request.Nodes.Count);
            foreach (var write in request.Nodes)
            {
                int index = IndexOfChange(txn.Changes, write.Path);
                var change = index >= 0 ? txn.Changes[index] : null;
                var state = write.NewState;
                bool sameStat = state is not null && change is { Kind: NodeChangeKind.Put } && change.Stat == state.Stat;
                bool sameAcl = state is not null && change?.Acl is { } changeAcl && (ReferenceEquals(changeAcl, state.Acl) || changeAcl.SequenceEqual(state.Acl));
                byte flags = (byte)((state is not null ? HasState : 0) | (index >= 0 ? PathOfChange : 0) | (sameStat ? StatOfChange : 0) | (sameAcl ? AclOfChange : 0));
                writer.WriteByte(flags);
                if (index >= 0)
                {
                    writer.WriteInt(index);
                }
                else
                {
                    writer.WriteString(write.Path);
                }
                if (state is null)
                {
                    continue;
                }
                if (!sameStat)
                {
                    CompactStat.Write(ref writer, state.Stat, txn.Zxid);
                }
                if (!sameAcl)
                {
                    acls.Write(ref writer, state.Acl);
                }
            }
            byte session = (byte)((request.CreatedSession is not null ? Created : 0) | (request.ClosedSession != 0 ? Closed : 0));
            writer.WriteByte(session);
            if (request.CreatedSession is { } created)
            {
                writer.WriteLong(created.SessionId);
                writer.WriteBuffer(created.Password);
                writer.WriteInt(created.TimeoutMs);
            }
            if (request.ClosedSession != 0)
            {
                writer.WriteLong(request.ClosedSession);
            }
        }
    }

    private static List<CommitRequest> ReadCommit(ref JuteReader reader)
    {
        var acls = new AclTable();
        int count = ReadCount(ref reader);
        var requests = new List<CommitRequest>(count);
        for (int r = 0; r < count; r++)
        {
            long zxid = reader.ReadLong();
            int changeCount = ReadCount(ref reader);
            var changes = new List<NodeChange>(changeCount);
            for (int c = 0; c < changeCount; c++)
            {
                byte flags = reader.ReadByte();
                string path = reader.ReadString() ?? throw new InvalidDataException("A change without a path.");
                if ((flags & Deletes) != 0)
                {
                    changes.Add(new NodeChange(NodeChangeKind.Delete, path, default));
                    continue;
                }
                var stat = CompactStat.Read(ref reader, zxid);
                bool writesData = (flags & WritesData) != 0;
                byte[]? data = writesData ? reader.ReadBuffer() : null;
                var acl = (flags & HasAcl) != 0 ? acls.Read(ref reader) : null;
                changes.Add(new NodeChange(NodeChangeKind.Put, path, stat, data, acl) { WritesData = writesData });
            }
            int writeCount = ReadCount(ref reader);
            var writes = new List<SystemNodeWrite>(writeCount);
            for (int w = 0; w < writeCount; w++)
            {
                byte flags = reader.ReadByte();
                NodeChange? change = null;
                int index = -1;
                string path;
                if ((flags & PathOfChange) != 0)
                {
                    index = reader.ReadInt();
                    if ((uint)index >= (uint)changes.Count)
                    {
                        JuteFormatException.ThrowInvalid($"A system write refers to change {index} of {changes.Count}.");
                    }
                    change = changes[index];
                    path = change.Path;
                }
                else
                {
                    path = reader.ReadString() ?? throw new InvalidDataException("A system write without a path.");
                }
                if ((flags & HasState) == 0)
                {
                    writes.Add(new SystemNodeWrite(path, null));
                    continue;
                }
                var stat = (flags & StatOfChange) != 0 && change is not null ? change.Stat : CompactStat.Read(ref reader, zxid);
                var acl = (flags & AclOfChange) != 0 && change?.Acl is { } changeAcl ? changeAcl : acls.Read(ref reader);
                var state = new SystemNode(path, stat, acl);
                writes.Add(new SystemNodeWrite(path, state));
                if (change is not null)
                {
                    // As the writer made it: the user storage can share this record's Stat.
                    changes[index] = change with { StatSource = state };
                }
            }
            byte session = reader.ReadByte();
            SessionRecord? createdSession = null;
            long closedSession = 0;
            if ((session & Created) != 0)
            {
                long id = reader.ReadLong();
                byte[] password = reader.ReadBuffer() ?? [];
                createdSession = new SessionRecord(id, password, reader.ReadInt());
            }
            if ((session & Closed) != 0)
            {
                closedSession = reader.ReadLong();
            }
            var txn = new Txn(zxid, 0, 0, null, new WriteResult(Jute.Protocol.ErrorCode.Ok, zxid), changes, [], closedSession);
            requests.Add(new CommitRequest(default, [], writes, createdSession, closedSession, txn));
        }
        return requests;
    }

    private static int IndexOfChange(IReadOnlyList<NodeChange> changes, string path)
    {
        for (int i = 0; i < changes.Count; i++)
        {
            if (string.Equals(changes[i].Path, path, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private static int ReadCount(ref JuteReader reader)
    {
        int count = reader.ReadInt();
        if (count < 0 || count > reader.Remaining)
        {
            JuteFormatException.ThrowInvalid($"A count of {count} with {reader.Remaining} bytes left.");
        }
        return count;
    }
}
