using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Messages;

/// <summary>
/// The binary forms of what travels between gateways and functions through cloud queues and what the
/// pending-update list keeps: write requests, transactions and inbox messages. Written with the Jute
/// primitives (big-endian ints, length-prefixed strings and buffers), each with a leading format
/// version so that a rolling upgrade can tell old messages from new ones.
/// </summary>
public static class MessageCodec
{
    private const int WriteRequestFormat = 1;
    /// <summary>Format 4 added each change's "writes data" flag (null data is kept as null); 3 is still read.</summary>
    private const int TxnFormat = 4;

    /// <summary>
    /// Format 5 adds each change's data reference (<see cref="NodeChange.DataRef"/>). Written only for a
    /// transaction that has one (the gateway write path's large payloads), so queue-path messages stay
    /// readable by functions of an earlier version.
    /// </summary>
    private const int TxnFormatWithDataRef = 5;

    /// <summary>
    /// Format 6 adds each change's kind marker (<see cref="NodeChange.KindMarker"/>) after its data
    /// reference. Written only for a transaction that carries one (the gateway write path's container
    /// and TTL nodes), for the same reason as format 5.
    /// </summary>
    private const int TxnFormatWithKindMarker = 6;

    /// <summary>
    /// Format 7 adds each change's previous data length (<see cref="NodeChange.PreviousDataLength"/>)
    /// after its kind marker: written for a transaction with a setData, whose quota usage the
    /// serverless distributor counts from it.
    /// </summary>
    private const int TxnFormatWithPreviousLength = 7;
    private const int TxnFormatWithoutDataFlag = 3;
    private const int InboxFormat = 1;

    // ---- shared pieces --------------------------------------------------------------------------

    private static void WriteAcl(ref JuteWriter writer, IReadOnlyList<Acl>? acl)
    {
        if (acl is null)
        {
            writer.WriteInt(-1);
        }
        else
        {
            Acl.WriteList(ref writer, acl);
        }
    }

    private static void WriteStat(ref JuteWriter writer, Stat? stat)
    {
        writer.WriteBool(stat is not null);
        stat?.Write(ref writer);
    }

    private static Stat? ReadStat(ref JuteReader reader) => reader.ReadBool() ? Stat.Read(ref reader) : null;

    private static void WriteOpResult(ref JuteWriter writer, OpResult? result)
    {
        writer.WriteBool(result is not null);
        if (result is not null)
        {
            writer.WriteInt((int)result.Error);
            writer.WriteString(result.Path);
            WriteStat(ref writer, result.Stat);
        }
    }

    private static OpResult? ReadOpResult(ref JuteReader reader) =>
        reader.ReadBool() ? new OpResult((ErrorCode)reader.ReadInt(), reader.ReadString(), ReadStat(ref reader)) : null;

    private static void WriteResult(ref JuteWriter writer, WriteResult result)
    {
        writer.WriteInt((int)result.Error);
        writer.WriteLong(result.Zxid);
        WriteOpResult(ref writer, result.Result);
        if (result.MultiResults is null)
        {
            writer.WriteInt(-1);
        }
        else
        {
            writer.WriteInt(result.MultiResults.Count);
            foreach (var op in result.MultiResults)
            {
                WriteOpResult(ref writer, op);
            }
        }
    }

    private static WriteResult ReadResult(ref JuteReader reader)
    {
        var error = (ErrorCode)reader.ReadInt();
        long zxid = reader.ReadLong();
        var single = ReadOpResult(ref reader);
        int count = reader.ReadInt();
        List<OpResult>? multi = null;
        if (count >= 0)
        {
            multi = new List<OpResult>(Math.Min(count, 1024));
            for (int i = 0; i < count; i++)
            {
                multi.Add(ReadOpResult(ref reader) ?? new OpResult(ErrorCode.SystemError));
            }
        }
        return new WriteResult(error, zxid, single, multi);
    }

    private static byte[] Finish(FrameBuffer buffer) => buffer.WrittenSpan.ToArray();

    private static void ExpectFormat(ref JuteReader reader, int expected, string what)
    {
        int format = reader.ReadInt();
        if (format != expected)
        {
            JuteFormatException.ThrowInvalid($"Unknown {what} format {format}.");
        }
    }

    // ---- write requests (gateway → writer queue) -----------------------------------------------

    private enum OperationTag
    {
        Create = 1,
        Delete = 2,
        SetData = 3,
        SetAcl = 4,
        Check = 5,
        Multi = 6,
        Sync = 7,
        CloseSession = 8,
        CreateSession = 9,
        Invalid = 10,
        DeleteContainer = 11,
        NullPathTtlCreate = 12,
    }

    public static byte[] EncodeWriteRequest(WriteRequest request)
    {
        var buffer = new FrameBuffer(128);
        var writer = new JuteWriter(buffer);
        writer.WriteInt(WriteRequestFormat);
        writer.WriteLong(request.SessionId);
        writer.WriteString(request.ReplyTo.GatewayId);
        writer.WriteLong(request.ReplyTo.RequestId);
        var ids = request.Caller?.Ids ?? [];
        writer.WriteInt(ids.Count);
        foreach (var id in ids)
        {
            id.Write(ref writer);
        }
        WriteOperation(ref writer, request.Operation);
        return Finish(buffer);
    }

    public static WriteRequest DecodeWriteRequest(ReadOnlySpan<byte> bytes)
    {
        var reader = new JuteReader(bytes);
        ExpectFormat(ref reader, WriteRequestFormat, "write request");
        long session = reader.ReadLong();
        var replyTo = new ReplyAddress(reader.ReadString() ?? "", reader.ReadLong());
        int idCount = reader.ReadVectorCount(8);
        var ids = new List<Id>(idCount);
        for (int i = 0; i < idCount; i++)
        {
            ids.Add(Id.Read(ref reader));
        }
        var operation = ReadOperation(ref reader, depth: 0);
        return new WriteRequest(session, operation, replyTo, ids.Count == 0 ? CallerIdentity.Anonymous : new CallerIdentity(ids));
    }

    private static void WriteOperation(ref JuteWriter writer, WriteOperation operation)
    {
        switch (operation)
        {
            case CreateOperation create:
                writer.WriteInt((int)OperationTag.Create);
                writer.WriteString(create.Path);
                writer.WriteBuffer(create.Data);
                WriteAcl(ref writer, create.Acl);
                writer.WriteInt((int)create.Mode);
                writer.WriteLong(create.Ttl);
                writer.WriteBool(create.AsContainer);
                break;
            case DeleteOperation delete:
                writer.WriteInt((int)OperationTag.Delete);
                writer.WriteString(delete.Path);
                writer.WriteInt(delete.Version);
                break;
            case SetDataOperation set:
                writer.WriteInt((int)OperationTag.SetData);
                writer.WriteString(set.Path);
                writer.WriteBuffer(set.Data);
                writer.WriteInt(set.Version);
                break;
            case SetAclOperation setAcl:
                writer.WriteInt((int)OperationTag.SetAcl);
                writer.WriteString(setAcl.Path);
                WriteAcl(ref writer, setAcl.Acl);
                writer.WriteInt(setAcl.Version);
                break;
            case CheckOperation check:
                writer.WriteInt((int)OperationTag.Check);
                writer.WriteString(check.Path);
                writer.WriteInt(check.Version);
                break;
            case MultiOperation multi:
                writer.WriteInt((int)OperationTag.Multi);
                writer.WriteInt(multi.Operations.Count);
                foreach (var op in multi.Operations)
                {
                    WriteOperation(ref writer, op);
                }
                break;
            case SyncOperation sync:
                writer.WriteInt((int)OperationTag.Sync);
                writer.WriteString(sync.Path);
                break;
            case CloseSessionOperation:
                writer.WriteInt((int)OperationTag.CloseSession);
                break;
            case CreateSessionOperation session:
                writer.WriteInt((int)OperationTag.CreateSession);
                writer.WriteLong(session.SessionId);
                writer.WriteBuffer(session.Password);
                writer.WriteInt(session.TimeoutMs);
                break;
            case InvalidOperation invalid:
                writer.WriteInt((int)OperationTag.Invalid);
                writer.WriteInt((int)invalid.Error);
                break;
            case DeleteContainerOperation deleteContainer:
                writer.WriteInt((int)OperationTag.DeleteContainer);
                writer.WriteString(deleteContainer.Path);
                break;
            case NullPathTtlCreateOperation nullPath:
                writer.WriteInt((int)OperationTag.NullPathTtlCreate);
                writer.WriteInt((int)nullPath.Mode);
                writer.WriteLong(nullPath.Ttl);
                break;
            default:
                throw new NotSupportedException($"No wire form for {operation.GetType().Name}.");
        }
    }

    private static WriteOperation ReadOperation(ref JuteReader reader, int depth)
    {
        var tag = (OperationTag)reader.ReadInt();
        switch (tag)
        {
            case OperationTag.Create:
                return new CreateOperation(reader.ReadString() ?? "", reader.ReadBuffer(), Acl.ReadList(ref reader) ?? [], (CreateMode)reader.ReadInt(), reader.ReadLong(), reader.ReadBool());
            case OperationTag.Delete:
                return new DeleteOperation(reader.ReadString() ?? "", reader.ReadInt());
            case OperationTag.SetData:
                return new SetDataOperation(reader.ReadString() ?? "", reader.ReadBuffer(), reader.ReadInt());
            case OperationTag.SetAcl:
                return new SetAclOperation(reader.ReadString() ?? "", Acl.ReadList(ref reader) ?? [], reader.ReadInt());
            case OperationTag.Check:
                return new CheckOperation(reader.ReadString() ?? "", reader.ReadInt());
            case OperationTag.Multi when depth == 0:
            {
                int count = reader.ReadVectorCount(4);
                var ops = new List<WriteOperation>(count);
                for (int i = 0; i < count; i++)
                {
                    ops.Add(ReadOperation(ref reader, depth + 1));
                }
                return new MultiOperation(ops);
            }
            case OperationTag.Sync:
                return new SyncOperation(reader.ReadString() ?? "");
            case OperationTag.CloseSession:
                return new CloseSessionOperation();
            case OperationTag.CreateSession:
                return new CreateSessionOperation(reader.ReadLong(), reader.ReadBuffer() ?? [], reader.ReadInt());
            case OperationTag.Invalid:
                return new InvalidOperation((ErrorCode)reader.ReadInt());
            case OperationTag.DeleteContainer:
                return new DeleteContainerOperation(reader.ReadString() ?? "");
            case OperationTag.NullPathTtlCreate:
                return new NullPathTtlCreateOperation((CreateMode)reader.ReadInt(), reader.ReadLong());
            default:
                JuteFormatException.ThrowInvalid($"Unknown write operation tag {(int)tag} at depth {depth}.");
                return null!;
        }
    }

    // ---- transactions (writer → distributor queue, pending-update list) -------------------------

    /// <summary>
    /// A transaction with everything the distributor needs, including the reply address and result:
    /// a transaction recovered from the pending list after a writer crash can still be answered.
    /// </summary>
    public static byte[] EncodeTxn(Txn txn)
    {
        var buffer = new FrameBuffer(256);
        var writer = new JuteWriter(buffer);
        bool withPreviousLength = txn.Changes.Any(c => c.PreviousDataLength >= 0);
        bool withKindMarker = withPreviousLength || txn.Changes.Any(c => c.KindMarker != 0);
        bool withDataRef = withKindMarker || txn.Changes.Any(c => c.DataRef is not null);
        writer.WriteInt(withPreviousLength ? TxnFormatWithPreviousLength : withKindMarker ? TxnFormatWithKindMarker : withDataRef ? TxnFormatWithDataRef : TxnFormat);
        writer.WriteLong(txn.Zxid);
        writer.WriteLong(txn.Time);
        writer.WriteLong(txn.SessionId);
        writer.WriteLong(txn.ClosedSessionId);
        writer.WriteBool(txn.ReplyTo is not null);
        if (txn.ReplyTo is { } replyTo)
        {
            writer.WriteString(replyTo.GatewayId);
            writer.WriteLong(replyTo.RequestId);
        }
        WriteResult(ref writer, txn.Result);
        writer.WriteInt(txn.Changes.Count);
        foreach (var change in txn.Changes)
        {
            writer.WriteInt((int)change.Kind);
            writer.WriteString(change.Path);
            change.Stat.Write(ref writer);
            writer.WriteBool(change.WritesData);
            writer.WriteBuffer(change.Data);
            WriteAcl(ref writer, change.Acl);
            if (withDataRef)
            {
                writer.WriteString(change.DataRef);
            }
            if (withKindMarker)
            {
                writer.WriteLong(change.KindMarker);
            }
            if (withPreviousLength)
            {
                writer.WriteInt(change.PreviousDataLength);
            }
        }
        writer.WriteInt(txn.Triggers.Count);
        foreach (var trigger in txn.Triggers)
        {
            writer.WriteInt((int)trigger.Type);
            writer.WriteString(trigger.Path);
            WriteAcl(ref writer, trigger.Acl);
        }
        return Finish(buffer);
    }

    public static Txn DecodeTxn(ReadOnlySpan<byte> bytes)
    {
        var reader = new JuteReader(bytes);
        int format = reader.ReadInt();
        if (format is not (TxnFormatWithPreviousLength or TxnFormatWithKindMarker or TxnFormatWithDataRef or TxnFormat or TxnFormatWithoutDataFlag))
        {
            JuteFormatException.ThrowInvalid($"Unknown transaction format {format}.");
        }
        long zxid = reader.ReadLong();
        long time = reader.ReadLong();
        long session = reader.ReadLong();
        long closed = reader.ReadLong();
        ReplyAddress? replyTo = reader.ReadBool() ? new ReplyAddress(reader.ReadString() ?? "", reader.ReadLong()) : null;
        var result = ReadResult(ref reader);
        var changes = ReadChanges(ref reader, withDataFlag: format >= TxnFormat, withDataRef: format >= TxnFormatWithDataRef, withKindMarker: format >= TxnFormatWithKindMarker, withPreviousLength: format >= TxnFormatWithPreviousLength);
        var triggers = ReadTriggers(ref reader, withAcl: true);
        return new Txn(zxid, time, session, replyTo, result, changes, triggers, closed);
    }

    /// <summary>
    /// A transaction's node changes. <paramref name="withDataFlag"/>: each carries whether it writes
    /// data (format 4 and later); before that a null buffer meant "keep the data" and null data was
    /// not kept.
    /// </summary>
    internal static List<NodeChange> ReadChanges(ref JuteReader reader, bool withDataFlag, bool withDataRef = false, bool withKindMarker = false, bool withPreviousLength = false)
    {
        int changeCount = reader.ReadVectorCount(16);
        var changes = new List<NodeChange>(changeCount);
        for (int i = 0; i < changeCount; i++)
        {
            var kind = (NodeChangeKind)reader.ReadInt();
            string path = reader.ReadString() ?? "";
            var stat = Stat.Read(ref reader);
            bool writesData = withDataFlag && reader.ReadBool();
            byte[]? data = reader.ReadBuffer();
            var acl = Acl.ReadList(ref reader);
            string? dataRef = withDataRef ? reader.ReadString() : null;
            long kindMarker = withKindMarker ? reader.ReadLong() : 0;
            int previousLength = withPreviousLength ? reader.ReadInt() : -1;
            changes.Add(new NodeChange(kind, path, stat, data, acl) { WritesData = writesData || data is not null, DataRef = dataRef, KindMarker = kindMarker, PreviousDataLength = previousLength });
        }
        return changes;
    }

    /// <summary>A transaction's watch triggers; <paramref name="withAcl"/>: each carries its node's ACL (formats 2 and later).</summary>
    internal static List<WatchTrigger> ReadTriggers(ref JuteReader reader, bool withAcl)
    {
        int triggerCount = reader.ReadVectorCount(8);
        var triggers = new List<WatchTrigger>(triggerCount);
        for (int i = 0; i < triggerCount; i++)
        {
            var type = (EventType)reader.ReadInt();
            string path = reader.ReadString() ?? "";
            triggers.Add(new WatchTrigger(type, path, withAcl ? Acl.ReadList(ref reader) : null));
        }
        return triggers;
    }

    // ---- inbox messages (distributor → one gateway) ----------------------------------------------

    public static byte[] EncodeInbox(IReadOnlyList<InboxItem> items)
    {
        var buffer = new FrameBuffer(256);
        var writer = new JuteWriter(buffer);
        writer.WriteInt(InboxFormat);
        writer.WriteInt(items.Count);
        foreach (var item in items)
        {
            if (item.Kind == InboxItemKind.Mark)
            {
                // As a trigger of no event on no path: a gateway of an earlier version decodes it (an
                // unknown kind would make the whole message undecodable, and its FIFO group stuck),
                // fires nothing, and raises its handled-trigger mark, which is what a Mark means.
                writer.WriteInt((int)InboxItemKind.Trigger);
                writer.WriteLong(item.Zxid);
                writer.WriteInt((int)EventType.None);
                writer.WriteString(MarkPath);
                WriteAcl(ref writer, null);
                continue;
            }
            writer.WriteInt((int)item.Kind);
            writer.WriteLong(item.Zxid);
            switch (item.Kind)
            {
                case InboxItemKind.Trigger:
                    writer.WriteInt((int)item.Trigger.Type);
                    writer.WriteString(item.Trigger.Path);
                    WriteAcl(ref writer, item.Trigger.Acl);
                    break;
                case InboxItemKind.Reply:
                    writer.WriteLong(item.RequestId);
                    WriteResult(ref writer, item.Result!);
                    break;
                case InboxItemKind.SessionClosed:
                    writer.WriteLong(item.SessionId);
                    break;
            }
        }
        return Finish(buffer);
    }

    public static IReadOnlyList<InboxItem> DecodeInbox(ReadOnlySpan<byte> bytes)
    {
        var reader = new JuteReader(bytes);
        ExpectFormat(ref reader, InboxFormat, "inbox message");
        int count = reader.ReadVectorCount(12);
        var items = new List<InboxItem>(count);
        for (int i = 0; i < count; i++)
        {
            var kind = (InboxItemKind)reader.ReadInt();
            long zxid = reader.ReadLong();
            items.Add(kind switch
            {
                InboxItemKind.Trigger => TriggerOrMark(zxid, new WatchTrigger((EventType)reader.ReadInt(), reader.ReadString() ?? "", Acl.ReadList(ref reader))),
                InboxItemKind.Reply => InboxItem.ForReply(zxid, reader.ReadLong(), ReadResult(ref reader)),
                InboxItemKind.SessionClosed => InboxItem.ForSessionClosed(zxid, reader.ReadLong()),
                _ => throw new JuteFormatException($"Unknown inbox item kind {(int)kind}."),
            });
        }
        return items;

        static InboxItem TriggerOrMark(long zxid, WatchTrigger trigger) =>
            trigger is { Type: EventType.None, Path: MarkPath } ? InboxItem.ForMark(zxid) : InboxItem.ForTrigger(zxid, trigger);
    }

    /// <summary>The path of a Mark on the wire (no znode has it: every path starts with '/').</summary>
    private const string MarkPath = "";
}

public enum InboxItemKind
{
    Trigger = 1,
    Reply = 2,
    SessionClosed = 3,

    /// <summary>
    /// "Every trigger for you up to this zxid has been sent before this": sent to a gateway that
    /// registered its first interest in a path while the batch was being planned (its stamps may not
    /// name the gateway). Encoded as a trigger of no event on no path (see EncodeInbox).
    /// </summary>
    Mark = 4,
}

/// <summary>
/// One thing the distributor tells a gateway, in zxid order: a watch trigger on a path the gateway
/// is interested in (it fans it out to its own watchers), the reply to one of its writes, the end
/// of a session it serves, or a Mark (see <see cref="InboxItemKind.Mark"/>).
/// </summary>
public sealed record InboxItem(InboxItemKind Kind, long Zxid, WatchTrigger Trigger, long RequestId, WriteResult? Result, long SessionId)
{
    public static InboxItem ForTrigger(long zxid, WatchTrigger trigger) => new(InboxItemKind.Trigger, zxid, trigger, 0, null, 0);

    public static InboxItem ForReply(long zxid, long requestId, WriteResult result) => new(InboxItemKind.Reply, zxid, default, requestId, result, 0);

    public static InboxItem ForSessionClosed(long zxid, long sessionId) => new(InboxItemKind.SessionClosed, zxid, default, 0, null, sessionId);

    public static InboxItem ForMark(long zxid) => new(InboxItemKind.Mark, zxid, default, 0, null, 0);
}

/// <summary>Queue codecs over <see cref="MessageCodec"/>.</summary>
public sealed class WriteRequestCodec : IMessageCodec<WriteRequest>
{
    public static readonly WriteRequestCodec Instance = new();

    public byte[] Encode(WriteRequest message) => MessageCodec.EncodeWriteRequest(message);

    public WriteRequest Decode(ReadOnlySpan<byte> body) => MessageCodec.DecodeWriteRequest(body);

    /// <summary>A gateway's request ids are unique for its lifetime: a resend within SQS's 5-minute window is dropped.</summary>
    public string DeduplicationId(WriteRequest message) => $"{message.ReplyTo.GatewayId}-{message.ReplyTo.RequestId}";
}

public sealed class TxnCodec : IMessageCodec<Txn>
{
    public static readonly TxnCodec Instance = new();

    public byte[] Encode(Txn message) => MessageCodec.EncodeTxn(message);

    public Txn Decode(ReadOnlySpan<byte> body) => MessageCodec.DecodeTxn(body);

    /// <summary>
    /// The request a transaction answers (or its zxid when it answers none): a request processed again
    /// after a writer crash, whatever zxid it got the second time, is pushed once within SQS's
    /// five-minute deduplication window.
    /// </summary>
    public string DeduplicationId(Txn message) =>
        message.ReplyTo is { } to ? $"{to.GatewayId}-{to.RequestId}" : $"z{message.Zxid:x}";
}

public sealed class InboxCodec : IMessageCodec<IReadOnlyList<InboxItem>>
{
    public static readonly InboxCodec Instance = new();

    public byte[] Encode(IReadOnlyList<InboxItem> message) => MessageCodec.EncodeInbox(message);

    public IReadOnlyList<InboxItem> Decode(ReadOnlySpan<byte> body) => MessageCodec.DecodeInbox(body);

    /// <summary>Content-derived: the same items sent again (a redelivered distributor batch) are dropped.</summary>
    public string DeduplicationId(IReadOnlyList<InboxItem> message)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encode(message));
        return Convert.ToHexString(hash);
    }
}
