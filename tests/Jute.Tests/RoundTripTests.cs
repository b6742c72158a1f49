using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Jute.Tests;

/// <summary>
/// Every record: encode to hand-computed bytes, decode those bytes back to an equivalent value
/// (consuming all of them), and re-encode to the same bytes. Nulls and empties are exercised on purpose.
/// </summary>
public class RoundTripTests
{
    private static readonly Stat SampleStat = new(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);

    private const string StatHex =
        "0000000000000001" + "0000000000000002" + "0000000000000003" + "0000000000000004" +
        "00000005" + "00000006" + "00000007" + "0000000000000008" + "00000009" + "0000000a" + "000000000000000b";

    private const string SlashA = "000000022f61";

    private static readonly byte[] Passwd16 = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();

    private static void Check<T>(T value, string expectedHex) where T : IJuteRecord, IJuteReadable<T>
    {
        var encoded = JuteSerializer.ToArray(value);
        Assert.Equal(expectedHex, Wire.Hex(encoded));
        var decoded = JuteSerializer.ReadExact<T>(encoded);
        Assert.Equivalent(value, decoded, strict: true);
        Assert.Equal(expectedHex, Wire.Hex(JuteSerializer.ToArray(decoded)));
    }

    [Fact]
    public void Stat_encodes_its_eleven_fields_in_schema_order() => Check(SampleStat, StatHex);

    [Fact]
    public void Request_reply_multi_and_error_headers_and_watcher_events_round_trip()
    {
        Check(new RequestHeader(7, OpCode.GetData), "0000000700000004");
        Check(new RequestHeader(Xids.Ping, OpCode.Ping), "fffffffe0000000b");
        Check(new ReplyHeader(-1, -1, ErrorCode.NoNode), "ffffffff" + "ffffffffffffffff" + "ffffff9b");
        Check(new ReplyHeader(3, 0x0000000100000002, ErrorCode.Ok), "00000003" + "0000000100000002" + "00000000");
        Check(new MultiHeader(OpCode.Create, false, (ErrorCode)(-1)), "0000000100ffffffff");
        Check(MultiHeader.Terminator, "ffffffff01ffffffff");
        Check(new ErrorResponse(ErrorCode.NoAuth), "ffffff9a");
        Check(new WatcherEvent(EventType.NodeDeleted, KeeperState.SyncConnected, "/a"), "00000002" + "00000003" + SlashA);
        Check(new WatcherEvent(EventType.None, KeeperState.Disconnected, null), "ffffffff" + "00000000" + "ffffffff");
    }

    [Fact]
    public void Connect_requests_and_responses_round_trip_with_and_without_the_readOnly_byte()
    {
        Check(new ConnectRequest(0, 0x1122334455667788, 4000, 0x0100000000000001, Passwd16, true),
            "00000000" + "1122334455667788" + "00000fa0" + "0100000000000001" + "00000010" + "000102030405060708090a0b0c0d0e0f" + "01");
        Check(new ConnectRequest(0, 0, 4000, 0, Passwd16, null),
            "00000000" + "0000000000000000" + "00000fa0" + "0000000000000000" + "00000010" + "000102030405060708090a0b0c0d0e0f");
        Check(new ConnectResponse(0, 4000, 5, [0xaa, 0xbb], null), "00000000" + "00000fa0" + "0000000000000005" + "00000002aabb");
        Check(new ConnectResponse(0, 0, 0, new byte[16], false), "00000000" + "00000000" + "0000000000000000" + "00000010" + new string('0', 32) + "00");
    }

    [Fact]
    public void Create_requests_and_responses_round_trip_with_null_and_empty_data_and_acls()
    {
        Check(new CreateRequest("/a", null, [new Acl(Perms.Read, new Id("digest", "u:x"))], CreateMode.EphemeralSequential),
            SlashA + "ffffffff" + "00000001" + "00000001" + "00000006646967657374" + "00000003753a78" + "00000003");
        Check(new CreateRequest("/a", [], null, CreateMode.Container), SlashA + "00000000" + "ffffffff" + "00000004");
        Check(new CreateTTLRequest("/t", [1], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 60000),
            "000000022f74" + "0000000101" + "00000001" + "0000001f" + "00000005776f726c64" + "00000006616e796f6e65" + "00000005" + "000000000000ea60");
        Check(new CreateResponse("/a"), SlashA);
        Check(new Create2Response("/a", SampleStat), SlashA + StatHex);
    }

    [Fact]
    public void Delete_exists_data_acl_check_and_sync_records_round_trip()
    {
        Check(new DeleteRequest("/a", 3), SlashA + "00000003");
        Check(new ExistsRequest("/a", true), SlashA + "01");
        Check(new ExistsResponse(SampleStat), StatHex);
        Check(new GetDataRequest("/a", false), SlashA + "00");
        Check(new GetDataResponse(null, SampleStat), "ffffffff" + StatHex);
        Check(new GetDataResponse([0x68, 0x69], SampleStat), "000000026869" + StatHex);
        Check(new SetDataRequest("/a", [0x68, 0x69], -1), SlashA + "000000026869" + "ffffffff");
        Check(new SetDataResponse(SampleStat), StatHex);
        Check(new GetACLRequest("/a"), SlashA);
        Check(new GetACLResponse([], SampleStat), "00000000" + StatHex);
        Check(new SetACLRequest("/a", null, 2), SlashA + "ffffffff" + "00000002");
        Check(new SetACLRequest("/a", Acl.ReadAclUnsafe, 0),
            SlashA + "00000001" + "00000001" + "00000005776f726c64" + "00000006616e796f6e65" + "00000000");
        Check(new SetACLResponse(SampleStat), StatHex);
        Check(new CheckVersionRequest("/a", -1), SlashA + "ffffffff");
        Check(new SyncRequest("/a"), SlashA);
        Check(new SyncResponse("/a"), SlashA);
    }

    [Fact]
    public void Children_child_count_and_ephemerals_records_round_trip_with_utf8_names()
    {
        Check(new GetChildrenRequest("/", true), "000000012f01");
        Check(new GetChildrenResponse(["a", "bc"]), "00000002" + "0000000161" + "000000026263");
        Check(new GetChildrenResponse(["é"]), "00000001" + "00000002c3a9");
        Check(new GetChildren2Request("/", false), "000000012f00");
        Check(new GetChildren2Response([], SampleStat), "00000000" + StatHex);
        Check(new GetAllChildrenNumberRequest("/"), "000000012f");
        Check(new GetAllChildrenNumberResponse(42), "0000002a");
        Check(new GetEphemeralsRequest(""), "00000000");
        Check(new GetEphemeralsResponse(["/e"]), "00000001" + "000000022f65");
    }

    [Fact]
    public void SetWatches_addWatch_checkWatches_and_removeWatches_records_round_trip()
    {
        Check(new SetWatches(0x10, ["/d"], [], null), "0000000000000010" + "00000001000000022f64" + "00000000" + "ffffffff");
        Check(new SetWatches2(-1, [], [], [], ["/p"], ["/r"]),
            "ffffffffffffffff" + "00000000" + "00000000" + "00000000" + "00000001000000022f70" + "00000001000000022f72");
        Check(new AddWatchRequest("/a", AddWatchMode.Persistent), SlashA + "00000000");
        Check(new CheckWatchesRequest("/a", WatcherType.Any), SlashA + "00000003");
        Check(new RemoveWatchesRequest("/a", WatcherType.PersistentRecursive), SlashA + "00000005");
    }

    [Fact]
    public void Auth_sasl_whoAmI_and_reconfig_records_round_trip()
    {
        Check(new AuthPacket(0, "super", [0x78]), "00000000" + "000000057375706572" + "0000000178");
        Check(new GetSASLRequest([1, 2]), "000000020102");
        Check(new SetSASLRequest(null), "ffffffff");
        Check(new SetSASLResponse([]), "00000000");
        Check(new ClientInfo("ip", "::1"), "000000026970" + "000000033a3a31");
        Check(new WhoAmIResponse([new ClientInfo("ip", "::1")]), "00000001" + "000000026970" + "000000033a3a31");
        Check(new WhoAmIResponse([]), "00000000");
        Check(new ReconfigRequest("server.1=a:1:2", null, "", -1),
            "0000000e7365727665722e313d613a313a32" + "ffffffff" + "00000000" + "ffffffffffffffff");
    }

    [Fact]
    public void A_multi_request_of_every_write_op_kind_round_trips_and_ends_with_the_terminator()
    {
        MultiOp[] ops =
        [
            new(OpCode.Create, new CreateRequest("/a", [1], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            new(OpCode.Create2, new CreateRequest("/b", null, Acl.OpenAclUnsafe, CreateMode.EphemeralSequential)),
            new(OpCode.CreateContainer, new CreateRequest("/c", [], Acl.OpenAclUnsafe, CreateMode.Container)),
            new(OpCode.CreateTtl, new CreateTTLRequest("/t", [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 1000)),
            new(OpCode.Delete, new DeleteRequest("/d", 1)),
            new(OpCode.SetData, new SetDataRequest("/a", [2], 0)),
            new(OpCode.Check, new CheckVersionRequest("/a", 1)),
        ];
        var encoded = JuteSerializer.ToArray(new MultiRequest(ops));
        // The first op's header, then the terminator at the very end.
        Assert.StartsWith("0000000100ffffffff" + SlashA, Wire.Hex(encoded));
        Assert.EndsWith("ffffffff01ffffffff", Wire.Hex(encoded));
        var decoded = JuteSerializer.ReadExact<MultiRequest>(encoded);
        Assert.Equal(ops.Select(o => o.Type), decoded.Ops.Select(o => o.Type));
        Assert.Equal(ops.Select(o => o.Record.GetType()), decoded.Ops.Select(o => o.Record.GetType()));
        Assert.Equal(1000, Assert.IsType<CreateTTLRequest>(decoded.Ops[3].Record).Ttl);
        Assert.Equivalent(ops, decoded.Ops, strict: true);
        Assert.Equal(Wire.Hex(encoded), Wire.Hex(JuteSerializer.ToArray(decoded)));
    }

    [Fact]
    public void A_multi_response_of_every_result_kind_encodes_to_the_expected_bytes_and_round_trips()
    {
        MultiResult[] results =
        [
            MultiResult.Create("/a"),
            MultiResult.Create2("/b", SampleStat),
            MultiResult.Delete(),
            MultiResult.Check(),
            MultiResult.SetData(SampleStat),
            MultiResult.GetData([7], SampleStat),
            MultiResult.GetChildren(["x"]),
            MultiResult.Error(ErrorCode.NotEmpty),
        ];
        var encoded = JuteSerializer.ToArray(new MultiResponse(results));
        var expected =
            "00000001" + "00" + "00000000" + SlashA +
            "0000000f" + "00" + "00000000" + "000000022f62" + StatHex +
            "00000002" + "00" + "00000000" +
            "0000000d" + "00" + "00000000" +
            "00000005" + "00" + "00000000" + StatHex +
            "00000004" + "00" + "00000000" + "0000000107" + StatHex +
            "00000008" + "00" + "00000000" + "00000001" + "0000000178" +
            "ffffffff" + "00" + "ffffff91" + "ffffff91" +
            "ffffffff01ffffffff";
        Assert.Equal(expected, Wire.Hex(encoded));
        var decoded = JuteSerializer.ReadExact<MultiResponse>(encoded);
        Assert.Equivalent(results, decoded.Results, strict: true);
        Assert.Equal(Wire.Hex(encoded), Wire.Hex(JuteSerializer.ToArray(decoded)));
    }
}
