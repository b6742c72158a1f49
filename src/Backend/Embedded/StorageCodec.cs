using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// Binary encodings of what the embedded store persists (Stat, ACL lists, pending transactions),
/// written with the Jute primitives so there is one binary convention in the codebase.
/// </summary>
internal static class StorageCodec
{
    /// <summary>2 adds each trigger's ACL (for the watchers' READ check); 1 is still read (no ACLs: unchecked).</summary>
    private const int TxnFormatVersion = 2;

    public static byte[] EncodeStat(in Stat stat)
    {
        var buffer = new FrameBuffer(Stat.Size);
        var writer = new JuteWriter(buffer);
        stat.Write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    public static Stat DecodeStat(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        return Stat.Read(ref reader);
    }

    public static byte[] EncodeAcl(IReadOnlyList<Acl> acl)
    {
        var buffer = new FrameBuffer(64);
        var writer = new JuteWriter(buffer);
        Acl.WriteList(ref writer, acl);
        return buffer.WrittenSpan.ToArray();
    }

    public static IReadOnlyList<Acl> DecodeAcl(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        return Acl.ReadList(ref reader) ?? [];
    }

    /// <summary>
    /// A pending transaction, as needed to re-apply it after a crash: its zxid, time, session,
    /// node changes and watch triggers. Replies are not persisted: their connections died with the process.
    /// </summary>
    public static byte[] EncodeTxn(Txn txn)
    {
        var buffer = new FrameBuffer(256);
        var writer = new JuteWriter(buffer);
        writer.WriteInt(TxnFormatVersion);
        writer.WriteLong(txn.Zxid);
        writer.WriteLong(txn.Time);
        writer.WriteLong(txn.SessionId);
        writer.WriteLong(txn.ClosedSessionId);
        writer.WriteInt(txn.Changes.Count);
        foreach (var change in txn.Changes)
        {
            writer.WriteInt((int)change.Kind);
            writer.WriteString(change.Path);
            change.Stat.Write(ref writer);
            writer.WriteBuffer(change.Data);
            if (change.Acl is null)
            {
                writer.WriteInt(-1);
            }
            else
            {
                Acl.WriteList(ref writer, change.Acl);
            }
        }
        writer.WriteInt(txn.Triggers.Count);
        foreach (var trigger in txn.Triggers)
        {
            writer.WriteInt((int)trigger.Type);
            writer.WriteString(trigger.Path);
            if (trigger.Acl is null)
            {
                writer.WriteInt(-1);
            }
            else
            {
                Acl.WriteList(ref writer, trigger.Acl);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static Txn DecodeTxn(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        int version = reader.ReadInt();
        if (version is not (1 or TxnFormatVersion))
        {
            JuteFormatException.ThrowInvalid($"Unknown pending transaction format {version}.");
        }
        long zxid = reader.ReadLong();
        long time = reader.ReadLong();
        long session = reader.ReadLong();
        long closed = reader.ReadLong();
        int changeCount = reader.ReadVectorCount(16);
        var changes = new List<NodeChange>(changeCount);
        for (int i = 0; i < changeCount; i++)
        {
            var kind = (NodeChangeKind)reader.ReadInt();
            string path = reader.ReadString() ?? "";
            var stat = Stat.Read(ref reader);
            byte[]? data = reader.ReadBuffer();
            var acl = Acl.ReadList(ref reader);
            changes.Add(new NodeChange(kind, path, stat, data, acl));
        }
        int triggerCount = reader.ReadVectorCount(8);
        var triggers = new List<WatchTrigger>(triggerCount);
        for (int i = 0; i < triggerCount; i++)
        {
            var type = (EventType)reader.ReadInt();
            string path = reader.ReadString() ?? "";
            triggers.Add(new WatchTrigger(type, path, version >= 2 ? Acl.ReadList(ref reader) : null));
        }
        return new Txn(zxid, time, session, null, new WriteResult(ErrorCode.Ok, zxid), changes, triggers, closed);
    }
}
