using System.Buffers;
using System.Buffers.Binary;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using static ZkGateway.Jute.Tests.Golden.GoldenFrames;

namespace ZkGateway.Jute.Tests;

public class MalformedTests
{
    private static byte[] Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    // ---- framing ----

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(JuteLimits.DefaultMaxBuffer + 1)]
    [InlineData(int.MaxValue)]
    public void A_negative_or_oversize_frame_length_is_rejected_from_the_prefix_alone(int length)
    {
        var sequence = new ReadOnlySequence<byte>(Int(length));
        Assert.Throws<JuteFormatException>(() => FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out _));
    }

    [Fact]
    public void A_frame_length_of_exactly_the_limit_waits_for_the_body()
    {
        var sequence = new ReadOnlySequence<byte>(Int(JuteLimits.DefaultMaxBuffer));
        Assert.False(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out _));
        Assert.Equal(4, sequence.Length);
    }

    [Fact]
    public void A_custom_frame_limit_admits_a_frame_of_its_size_and_rejects_one_a_byte_longer()
    {
        var frame = Wire.Bytes(KazooCreateRequest); // 59-byte payload
        var ok = new ReadOnlySequence<byte>(frame);
        Assert.True(FrameReader.TryRead(ref ok, 59, out _));
        var tooBig = new ReadOnlySequence<byte>(frame[..4]);
        Assert.Throws<JuteFormatException>(() => FrameReader.TryRead(ref tooBig, 58, out _));
    }

    [Fact]
    public void A_frame_length_of_zero_is_an_empty_frame()
    {
        var sequence = new ReadOnlySequence<byte>(Int(0));
        Assert.True(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out var payload));
        Assert.Equal(0, payload.Length);
    }

    // ---- truncated records inside a complete frame ----

    private delegate void Decode(byte[] payload);

    private static void ReadRequest<T>(byte[] p) where T : IJuteReadable<T>
    {
        var r = new JuteReader(p);
        RequestHeader.Read(ref r);
        T.Read(ref r);
    }

    private static void ReadReply<T>(byte[] p) where T : IJuteReadable<T>
    {
        var r = new JuteReader(p);
        ReplyHeader.Read(ref r);
        T.Read(ref r);
    }

    private static void ReadMultiRequest(byte[] p)
    {
        var r = new JuteReader(p);
        var h = RequestHeader.Read(ref r);
        MultiRequest.Read(ref r, h.Type);
    }

    private static readonly (string Name, string Frame, Decode Decode, int[] ValidPrefixes)[] Decoders =
    [
        (nameof(KazooConnectRequest), KazooConnectRequest, p => JuteSerializer.ReadExact<ConnectRequest>(p), [44]),
        (nameof(KazooConnectResponse), KazooConnectResponse, p => JuteSerializer.ReadExact<ConnectResponse>(p), [36]),
        (nameof(KazooCreateRequest), KazooCreateRequest, ReadRequest<CreateRequest>, []),
        (nameof(KazooCreateReply), KazooCreateReply, ReadReply<CreateResponse>, []),
        (nameof(KazooGetDataReply), KazooGetDataReply, ReadReply<GetDataResponse>, []),
        (nameof(KazooNotification), KazooNotification, ReadReply<WatcherEvent>, []),
        (nameof(KazooGetChildren2Reply), KazooGetChildren2Reply, ReadReply<GetChildren2Response>, []),
        (nameof(KazooMultiRequest), KazooMultiRequest, ReadMultiRequest, []),
        (nameof(KazooMultiReply), KazooMultiReply, ReadReply<MultiResponse>, []),
        (nameof(ApiMultiOkReply), ApiMultiOkReply, ReadReply<MultiResponse>, []),
        (nameof(ApiMultiReadRequest), ApiMultiReadRequest, ReadMultiRequest, []),
        (nameof(JavaAuthRequest), JavaAuthRequest, ReadRequest<AuthPacket>, []),
        (nameof(JavaWhoAmIReply), JavaWhoAmIReply, ReadReply<WhoAmIResponse>, []),
        (nameof(JavaGetAclReply), JavaGetAclReply, ReadReply<GetACLResponse>, []),
        (nameof(ApiSetAclRequest), ApiSetAclRequest, ReadRequest<SetACLRequest>, []),
        (nameof(RawSetWatchesRequest), RawSetWatchesRequest, ReadRequest<SetWatches>, []),
        (nameof(JavaAddWatchReply), JavaAddWatchReply, ReadReply<ErrorResponse>, []),
    ];

    public static TheoryData<string> DecoderNames()
    {
        var data = new TheoryData<string>();
        foreach (var d in Decoders)
        {
            data.Add(d.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void A_payload_cut_short_at_every_offset_is_malformed_unless_the_prefix_is_itself_a_valid_record(string name)
    {
        var (_, frame, decode, validPrefixes) = Decoders.Single(d => d.Name == name);
        var payload = Wire.Payload(frame);
        decode(payload); // the whole payload decodes
        for (int length = 0; length < payload.Length; length++)
        {
            if (validPrefixes.Contains(length))
            {
                decode(payload[..length]);
                continue;
            }
            var truncated = payload[..length];
            Assert.Throws<JuteFormatException>(() => decode(truncated));
        }
    }

    [Fact]
    public void ReadExact_rejects_trailing_bytes()
    {
        var payload = Concat(Wire.Payload(KazooCreateReply).AsSpan(ReplyHeader.Size).ToArray(), [0]);
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<CreateResponse>(payload));
    }

    // ---- lengths and counts ----

    [Theory]
    [InlineData(4)]
    [InlineData(100)]
    [InlineData(int.MaxValue)]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void A_string_or_buffer_length_past_the_payload_or_below_minus_one_is_malformed(int length)
    {
        var payload = Concat(Int(length), [(byte)'a', (byte)'b', (byte)'c']);
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<SyncRequest>(payload));
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<SetSASLResponse>(payload));
    }

    [Fact]
    public void Length_minus_one_decodes_as_null_and_null_encodes_as_minus_one_apart_from_empty()
    {
        Assert.Null(JuteSerializer.ReadExact<SyncRequest>(Int(-1)).Path);
        Assert.Null(JuteSerializer.ReadExact<SetSASLResponse>(Int(-1)).Token);
        Assert.Null(JuteSerializer.ReadExact<GetChildrenResponse>(Int(-1)).Children);
        Assert.Null(JuteSerializer.ReadExact<WhoAmIResponse>(Int(-1)).ClientInfo);
        var acl = JuteSerializer.ReadExact<GetACLResponse>(Concat(Int(-1), new byte[Stat.Size]));
        Assert.Null(acl.Acl);
        // And null is written back as -1, distinct from empty.
        Assert.Equal("ffffffff", Wire.Hex(JuteSerializer.ToArray(new GetChildrenResponse(null))));
        Assert.Equal("00000000", Wire.Hex(JuteSerializer.ToArray(new GetChildrenResponse([]))));
        Assert.Equal("ffffffff", Wire.Hex(JuteSerializer.ToArray(new SyncRequest(null))));
        Assert.Equal("00000000", Wire.Hex(JuteSerializer.ToArray(new SyncRequest(""))));
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void A_vector_count_below_minus_one_is_an_empty_vector_as_in_3_8_0(int count)
    {
        // 3.8.0's BinaryInputArchive: -1 is null, any other count makes an index that is done at once when
        // not positive; a create whose ACL count is -2 is InvalidACL there, not MarshallingError (checked).
        Assert.Equal([], JuteSerializer.ReadExact<GetChildrenResponse>(Int(count)).Children!);
        Assert.Equal([], JuteSerializer.ReadExact<GetACLResponse>(Concat(Int(count), new byte[Stat.Size])).Acl!);
    }

    [Theory]
    [InlineData(2)] // two strings need 8 bytes; only 4 are left
    [InlineData(100_000_000)]
    [InlineData(int.MaxValue)]
    public void A_vector_count_the_payload_cannot_hold_is_rejected_without_allocating_for_it(int count)
    {
        var payload = Concat(Int(count), Int(0));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<GetChildrenResponse>(payload));
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<WhoAmIResponse>(payload));
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<GetACLResponse>(payload));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Exceptions cost a few KB; a list sized from the count would cost hundreds of MB.
        Assert.True(allocated < 256 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_vector_count_that_exactly_fits_the_payload_decodes()
    {
        var payload = Concat(Int(1), Int(0));
        Assert.Equal([""], JuteSerializer.ReadExact<GetChildrenResponse>(payload).Children!);
    }

    [Fact]
    public void A_null_element_in_a_string_vector_is_malformed()
    {
        var payload = Concat(Int(2), Int(1), [(byte)'a'], Int(-1));
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<GetChildrenResponse>(payload));
    }

    // ---- multi ----

    [Fact]
    public void A_multi_without_its_terminator_is_malformed()
    {
        var frameBytes = Wire.Payload(KazooMultiRequest);
        var withoutTerminator = frameBytes.AsSpan(RequestHeader.Size, frameBytes.Length - RequestHeader.Size - MultiHeader.Size).ToArray();
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<MultiRequest>(withoutTerminator));
    }

    [Theory]
    [InlineData(OpCode.Exists)]
    [InlineData(OpCode.GetData)]
    [InlineData(OpCode.Multi)]
    [InlineData(OpCode.Error)]
    [InlineData((OpCode)12345)]
    public void A_multi_op_of_a_read_nested_or_unknown_type_is_malformed(OpCode type)
    {
        var body = JuteSerializer.ToArray(new MultiRequest([new MultiOp(type, new ExistsRequest("/a", false))]));
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<MultiRequest>(body));
    }

    [Fact]
    public void A_write_op_is_malformed_in_a_multiRead_and_fine_in_a_multi()
    {
        var body = JuteSerializer.ToArray(new MultiRequest([new MultiOp(OpCode.Delete, new DeleteRequest("/a", -1))]));
        Assert.Throws<JuteFormatException>(() =>
        {
            var reader = new JuteReader(body);
            MultiRequest.ReadMultiRead(ref reader);
        });
        // The same body is fine as a multi.
        Assert.Single(JuteSerializer.ReadExact<MultiRequest>(body).Ops);
    }

    [Fact]
    public void A_multi_result_of_an_unknown_type_is_malformed()
    {
        var body = JuteSerializer.ToArray(new MultiResponse([new MultiResult(OpCode.Exists, ErrorCode.Ok, new ExistsResponse(default))]));
        Assert.Throws<JuteFormatException>(() => JuteSerializer.ReadExact<MultiResponse>(body));
    }

    [Fact]
    public void An_empty_multi_request_or_response_is_only_the_terminator()
    {
        var body = JuteSerializer.ToArray(new MultiRequest([]));
        Assert.Equal("ffffffff01ffffffff", Wire.Hex(body));
        Assert.Empty(JuteSerializer.ReadExact<MultiRequest>(body).Ops);
        Assert.Equal("ffffffff01ffffffff", Wire.Hex(JuteSerializer.ToArray(new MultiResponse([]))));
    }

    [Fact]
    public void MultiRequest_Read_throws_for_an_opcode_that_is_not_a_multi()
    {
        var body = JuteSerializer.ToArray(new MultiRequest([]));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var reader = new JuteReader(body);
            MultiRequest.Read(ref reader, OpCode.Create);
        });
    }
}
