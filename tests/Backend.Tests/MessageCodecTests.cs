using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>The queue and pending-list encodings: every field survives a round trip; bad bytes are refused.</summary>
public class MessageCodecTests
{
    private static readonly Stat SomeStat = new(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    private static readonly IReadOnlyList<Acl> SomeAcl = [new Acl(Perms.All, new Id("digest", "u:h")), new Acl(Perms.Read, new Id("world", "anyone"))];

    public static TheoryData<WriteOperation> Operations() =>
    [
        new CreateOperation("/a", [1, 2], SomeAcl, CreateMode.PersistentSequentialWithTtl, 5000),
        new CreateOperation("/b", [], [], CreateMode.Persistent),
        new CreateOperation("/c", [], [], CreateMode.Persistent, AsContainer: true),
        new DeleteContainerOperation("/c"),
        new DeleteOperation("/a", 7),
        new SetDataOperation("/a", [9], -1),
        new SetAclOperation("/a", SomeAcl, 3),
        new SyncOperation("/"),
        new CloseSessionOperation(),
        new CreateSessionOperation(42, [1, 2, 3, 4], 30000),
        new InvalidOperation(ErrorCode.BadArguments),
    ];

    [Theory]
    [MemberData(nameof(Operations))]
    public void Write_requests_round_trip(WriteOperation operation)
    {
        var caller = new CallerIdentity([new Id("ip", "127.0.0.1"), new Id("digest", "bob:xyz")]);
        var request = new WriteRequest(0x1234_5678_9abc, operation, new ReplyAddress("gw-1", 99), caller);
        var back = MessageCodec.DecodeWriteRequest(MessageCodec.EncodeWriteRequest(request));
        Assert.Equal(request.SessionId, back.SessionId);
        Assert.Equal(request.ReplyTo, back.ReplyTo);
        Assert.Equal(caller.Ids, back.Caller!.Ids);
        Assert.Equal(Describe(operation), Describe(back.Operation));
    }

    [Fact]
    public void A_multi_round_trips_with_its_ops_in_order()
    {
        var multi = new MultiOperation([new CheckOperation("/x", 1), new CreateOperation("/x/y", [5], SomeAcl, CreateMode.Ephemeral), new DeleteOperation("/z", -1)]);
        var back = (MultiOperation)MessageCodec.DecodeWriteRequest(MessageCodec.EncodeWriteRequest(new WriteRequest(1, multi, new ReplyAddress("g", 1)))).Operation;
        Assert.Equal(multi.Operations.Select(Describe), back.Operations.Select(Describe));
    }

    [Fact]
    public void Transactions_round_trip_with_reply_address_result_changes_and_triggers()
    {
        var result = new WriteResult(ErrorCode.Ok, 77, null, [new OpResult(ErrorCode.Ok, "/a", SomeStat), new OpResult(ErrorCode.NoNode)]);
        var txn = new Txn(77, 1000, 5, new ReplyAddress("gw", 3), result,
            [new NodeChange(NodeChangeKind.Put, "/a", SomeStat, [1, 2, 3], SomeAcl), new NodeChange(NodeChangeKind.Put, "/", SomeStat), new NodeChange(NodeChangeKind.Delete, "/b", SomeStat),
             NodeChange.PutWithData("/n", SomeStat, null), NodeChange.PutWithData("/e", SomeStat, [])],
            [new WatchTrigger(EventType.NodeCreated, "/a", SomeAcl), new WatchTrigger(EventType.NodeChildrenChanged, "/")], ClosedSessionId: 9);
        var back = MessageCodec.DecodeTxn(MessageCodec.EncodeTxn(txn));
        Assert.Equal((txn.Zxid, txn.Time, txn.SessionId, txn.ReplyTo, txn.ClosedSessionId), (back.Zxid, back.Time, back.SessionId, back.ReplyTo, back.ClosedSessionId));
        Assert.Equal(result.Zxid, back.Result.Zxid);
        Assert.Equal(result.MultiResults, back.Result.MultiResults);
        Assert.Equal(txn.Changes.Select(c => (c.Kind, c.Path, c.Stat, c.WritesData, c.Data is null ? null : Convert.ToHexString(c.Data), c.Acl is null ? null : string.Join(",", c.Acl))),
                     back.Changes.Select(c => (c.Kind, c.Path, c.Stat, c.WritesData, c.Data is null ? null : Convert.ToHexString(c.Data), c.Acl is null ? null : string.Join(",", c.Acl))));
        Assert.Equal([true, false, false, true, true], back.Changes.Select(c => c.WritesData));
        Assert.Equal(txn.Triggers.Select(t => (t.Type, t.Path, t.Acl is null ? null : string.Join(",", t.Acl))),
                     back.Triggers.Select(t => (t.Type, t.Path, t.Acl is null ? null : string.Join(",", t.Acl))));
    }

    [Fact]
    public void Format_3_transactions_still_read_and_a_null_buffer_there_keeps_the_data()
    {
        // Format 3 (before null data was kept) as a rolling upgrade may still find it on a queue or in
        // the pending list: no "writes data" flag, a -1 buffer meant "keep the stored data".
        var buffer = new ZkGateway.Jute.Framing.FrameBuffer(256);
        var writer = new ZkGateway.Jute.JuteWriter(buffer);
        writer.WriteInt(3);
        writer.WriteLong(8);
        writer.WriteLong(1000);
        writer.WriteLong(5);
        writer.WriteLong(0);
        writer.WriteBool(false);
        writer.WriteInt((int)ErrorCode.Ok);
        writer.WriteLong(8);
        writer.WriteBool(false); // no OpResult
        writer.WriteInt(-1); // no multi results
        writer.WriteInt(2);
        foreach (var (path, data) in new[] { ("/a", new byte[] { 4 }), ("/", null) })
        {
            writer.WriteInt((int)NodeChangeKind.Put);
            writer.WriteString(path);
            SomeStat.Write(ref writer);
            writer.WriteBuffer(data);
            writer.WriteInt(-1);
        }
        writer.WriteInt(0);
        byte[] bytes = buffer.WrittenSpan.ToArray();

        foreach (var back in new[] { MessageCodec.DecodeTxn(bytes), Codecs.StorageCodec.DecodeTxn(bytes) })
        {
            Assert.Equal(8, back.Zxid);
            Assert.Equal([("/a", true, "04"), ("/", false, null)], back.Changes.Select(c => (c.Path, c.WritesData, c.Data is null ? null : Convert.ToHexString(c.Data))));
        }
    }

    [Fact]
    public void A_setDatas_previous_length_travels_with_the_other_fields_and_other_changes_read_none()
    {
        var txn = new Txn(9, 1, 2, null, new WriteResult(ErrorCode.Ok, 9),
            [NodeChange.PutWithData("/a", SomeStat, [1, 2]) with { PreviousDataLength = 5, KindMarker = -3, DataRef = "ref" }, new NodeChange(NodeChangeKind.Put, "/", SomeStat)], []);
        byte[] bytes = MessageCodec.EncodeTxn(txn);
        Assert.Equal(7, new JuteReader(bytes).ReadInt());
        foreach (var back in new[] { MessageCodec.DecodeTxn(bytes), Codecs.StorageCodec.DecodeTxn(bytes) })
        {
            Assert.Equal([("/a", 5, -3L, "ref"), ("/", -1, 0L, (string?)null)], back.Changes.Select(c => (c.Path, c.PreviousDataLength, c.KindMarker, c.DataRef)));
        }
        // A transaction without one keeps the older format, readable by functions of an earlier version.
        var plain = txn with { Changes = [new NodeChange(NodeChangeKind.Put, "/", SomeStat)] };
        Assert.Equal(4, new JuteReader(MessageCodec.EncodeTxn(plain)).ReadInt());
        Assert.Equal(-1, MessageCodec.DecodeTxn(MessageCodec.EncodeTxn(plain)).Changes[0].PreviousDataLength);
    }

    [Fact]
    public void Null_data_of_creates_and_sets_round_trips_as_null()
    {
        var multi = new MultiOperation([new CreateOperation("/n", null, SomeAcl, CreateMode.Persistent), new SetDataOperation("/e", null, 1), new SetDataOperation("/f", [], 1)]);
        var back = (MultiOperation)MessageCodec.DecodeWriteRequest(MessageCodec.EncodeWriteRequest(new WriteRequest(1, multi, new ReplyAddress("g", 1)))).Operation;
        Assert.Null(((CreateOperation)back.Operations[0]).Data);
        Assert.Null(((SetDataOperation)back.Operations[1]).Data);
        Assert.Equal(Array.Empty<byte>(), ((SetDataOperation)back.Operations[2]).Data);
    }

    [Fact]
    public void A_createTTL_of_a_null_path_travels_to_the_writer_with_its_mode_and_ttl()
    {
        var operation = new NullPathTtlCreateOperation(CreateMode.PersistentSequentialWithTtl, 1234);
        var back = MessageCodec.DecodeWriteRequest(MessageCodec.EncodeWriteRequest(new WriteRequest(1, operation, new ReplyAddress("g", 1)))).Operation;
        Assert.Equal(operation, back);
    }

    [Fact]
    public void The_embedded_store_reads_the_new_transaction_format()
    {
        var txn = new Txn(5, 6, 7, new ReplyAddress("g", 1), new WriteResult(ErrorCode.Ok, 5), [], []);
        var back = Codecs.StorageCodec.DecodeTxn(Codecs.StorageCodec.EncodeTxn(txn));
        Assert.Equal(txn.ReplyTo, back.ReplyTo);
    }

    [Fact]
    public void Inbox_messages_round_trip_in_order()
    {
        IReadOnlyList<InboxItem> items =
        [
            InboxItem.ForTrigger(10, new WatchTrigger(EventType.NodeDataChanged, "/a", SomeAcl)),
            InboxItem.ForReply(10, 4, new WriteResult(ErrorCode.Ok, 10, new OpResult(ErrorCode.Ok, "/a", SomeStat))),
            InboxItem.ForSessionClosed(11, 1234),
        ];
        var back = MessageCodec.DecodeInbox(MessageCodec.EncodeInbox(items));
        Assert.Equal(items.Select(i => (i.Kind, i.Zxid, i.Trigger.Type, i.Trigger.Path, i.RequestId, i.Result?.Result, i.SessionId)),
                     back.Select(i => (i.Kind, i.Zxid, i.Trigger.Type, i.Trigger.Path, i.RequestId, i.Result?.Result, i.SessionId)));
        Assert.Equal(InboxCodec.Instance.DeduplicationId(items), InboxCodec.Instance.DeduplicationId(back));
    }

    [Fact]
    public void A_mark_round_trips_after_the_triggers_and_reads_as_a_trigger_of_nothing_to_an_older_gateway()
    {
        IReadOnlyList<InboxItem> items =
        [
            InboxItem.ForTrigger(10, new WatchTrigger(EventType.NodeDataChanged, "/a", SomeAcl)),
            InboxItem.ForMark(12),
        ];
        var back = MessageCodec.DecodeInbox(MessageCodec.EncodeInbox(items));
        Assert.Equal([(InboxItemKind.Trigger, 10L), (InboxItemKind.Mark, 12L)], back.Select(i => (i.Kind, i.Zxid)));
        // On the wire a Mark is a trigger of no event (EventType.None) on the empty path: an earlier
        // decoder, which refuses unknown kinds, reads it as a trigger that fires no watch.
        Assert.Equal(
            MessageCodec.EncodeInbox([InboxItem.ForTrigger(10, new WatchTrigger(EventType.NodeDataChanged, "/a", SomeAcl)), InboxItem.ForTrigger(12, new WatchTrigger(EventType.None, "", null))]),
            MessageCodec.EncodeInbox(items));
    }

    [Fact]
    public void Truncated_or_unknown_bytes_are_refused()
    {
        byte[] good = MessageCodec.EncodeWriteRequest(new WriteRequest(1, new SetDataOperation("/a", [1], 0), new ReplyAddress("g", 1)));
        for (int cut = 0; cut < good.Length; cut++)
        {
            Assert.Throws<JuteFormatException>(() => MessageCodec.DecodeWriteRequest(good.AsSpan(0, cut)));
        }
        byte[] wrongFormat = [0, 0, 0, 99];
        Assert.Throws<JuteFormatException>(() => MessageCodec.DecodeTxn(wrongFormat));
        Assert.Throws<JuteFormatException>(() => MessageCodec.DecodeInbox(wrongFormat));
    }

    private static string Describe(WriteOperation operation) => operation switch
    {
        CreateOperation c => $"create {c.Path} {Hex(c.Data)} {string.Join(",", c.Acl)} {c.Mode} {c.Ttl} {c.AsContainer}",
        SetDataOperation s => $"set {s.Path} {Hex(s.Data)} {s.Version}",
        SetAclOperation a => $"setAcl {a.Path} {string.Join(",", a.Acl)} {a.Version}",
        CreateSessionOperation s => $"session {s.SessionId} {Convert.ToHexString(s.Password)} {s.TimeoutMs}",
        _ => operation.ToString(),
    };

    private static string Hex(byte[]? data) => data is null ? "null" : Convert.ToHexString(data);
}
