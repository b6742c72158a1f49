using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using static ZkGateway.Jute.Tests.Golden.GoldenFrames;

namespace ZkGateway.Jute.Tests;

/// <summary>
/// Frames captured from real ZooKeeper 3.8.0 and official clients: each is decoded into the field
/// values the capture script produced, then re-encoded and compared byte for byte.
/// </summary>
public class GoldenTests
{
    private static readonly byte[] ZeroPasswd = new byte[16];

    private static readonly Stat KazooGoldenStatAfterCreate =
        new(2, 2, 1795717939536, 1795717939536, 0, 0, 0, 0, 5, 0, 2);

    [Theory]
    [InlineData(KazooConnectRequest, 10000)]
    [InlineData(JavaConnectRequest, 30000)]
    public void A_45_byte_connect_request_decodes_with_readOnly_and_encodes_to_the_same_frame(string frame, int timeOut)
    {
        Assert.Equal(ConnectRequest.SizeWithReadOnly, Wire.Payload(frame).Length);
        var request = Wire.Body<ConnectRequest>(frame);
        Assert.Equal(0, request.ProtocolVersion);
        Assert.Equal(0, request.LastZxidSeen);
        Assert.Equal(timeOut, request.TimeOut);
        Assert.Equal(0, request.SessionId);
        Assert.Equal(ZeroPasswd, request.Passwd);
        Assert.False(request.ReadOnly);
        Assert.True(request.HasReadOnly);
        Assert.Equal(frame, Wire.Frame(request));
    }

    [Fact]
    public void A_44_byte_connect_request_decodes_without_readOnly_and_encodes_to_the_same_frame()
    {
        Assert.Equal(44, Wire.Payload(RawConnectRequest44).Length);
        var request = Wire.Body<ConnectRequest>(RawConnectRequest44);
        Assert.Equal(6000, request.TimeOut);
        Assert.Null(request.ReadOnly);
        Assert.False(request.HasReadOnly);
        Assert.Equal(RawConnectRequest44, Wire.Frame(request));
    }

    [Fact]
    public void A_37_byte_connect_response_decodes_with_readOnly_and_encodes_to_the_same_frame()
    {
        var response = Wire.Body<ConnectResponse>(KazooConnectResponse);
        Assert.Equal(0, response.ProtocolVersion);
        Assert.Equal(10000, response.TimeOut);
        Assert.Equal(0x0100000fdd6b0000, response.SessionId);
        Assert.Equal("97325f90d865c561cd38add5e1a56754", Wire.Hex(response.Passwd));
        Assert.False(response.ReadOnly);
        Assert.Equal(KazooConnectResponse, Wire.Frame(response));

        var java = Wire.Body<ConnectResponse>(JavaConnectResponse);
        Assert.Equal(30000, java.TimeOut);
        Assert.Equal(0x0100000fdd6b0001, java.SessionId);
        Assert.Equal(JavaConnectResponse, Wire.Frame(java));
    }

    [Fact]
    public void A_36_byte_connect_response_for_an_old_client_omits_readOnly_and_encodes_to_the_same_frame()
    {
        Assert.Equal(36, Wire.Payload(RawConnectResponse36).Length);
        var response = Wire.Body<ConnectResponse>(RawConnectResponse36);
        Assert.Equal(6000, response.TimeOut);
        Assert.Equal(0x0100000fdd6b0003, response.SessionId);
        Assert.Equal(16, response.Passwd!.Length);
        Assert.Null(response.ReadOnly);
        Assert.Equal(RawConnectResponse36, Wire.Frame(response));
        // The same response with the field set is the 37-byte form: the omission is what makes it 36.
        Assert.Equal(37 + 4, Wire.Bytes(Wire.Frame(response with { ReadOnly = false })).Length);
    }

    [Fact]
    public void A_create_request_and_its_reply_decode_and_encode_to_the_same_frames()
    {
        var (header, create) = Wire.Request<CreateRequest>(KazooCreateRequest);
        Assert.Equal(new RequestHeader(1, OpCode.Create), header);
        Assert.Equal("/golden", create.Path);
        Assert.Equal("hello", Wire.Utf8(create.Data));
        Assert.Equal(Acl.OpenAclUnsafe, create.Acl);
        Assert.Equal(CreateMode.Persistent, create.Flags);
        Assert.Equal(KazooCreateRequest, Wire.Frame(header, create));

        var (reply, body) = Wire.Reply<CreateResponse>(KazooCreateReply);
        Assert.Equal(new ReplyHeader(1, 2, ErrorCode.Ok), reply);
        Assert.Equal("/golden", body.Path);
        Assert.Equal(KazooCreateReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void An_ephemeral_create_with_empty_data_decodes_to_empty_not_null()
    {
        var (header, create) = Wire.Request<CreateRequest>(ApiCreateEphemeralRequest);
        Assert.Equal(new RequestHeader(2, OpCode.Create), header);
        Assert.Equal("/jm/e", create.Path);
        Assert.NotNull(create.Data);
        Assert.Empty(create.Data!);
        Assert.Equal(CreateMode.Ephemeral, create.Flags);
        Assert.Equal(ApiCreateEphemeralRequest, Wire.Frame(header, create));
    }

    [Fact]
    public void A_create2_request_and_its_reply_with_a_stat_decode_and_encode_to_the_same_frames()
    {
        var (header, create) = Wire.Request<CreateRequest>(ApiCreate2Request);
        Assert.Equal(new RequestHeader(1, OpCode.Create2), header);
        Assert.Equal("/jm", create.Path);
        Assert.Equal("d", Wire.Utf8(create.Data));
        Assert.Equal(ApiCreate2Request, Wire.Frame(header, create));

        var (reply, body) = Wire.Reply<Create2Response>(ApiCreate2Reply);
        Assert.Equal(new ReplyHeader(1, 0x10, ErrorCode.Ok), reply);
        Assert.Equal("/jm", body.Path);
        Assert.Equal(new Stat(16, 16, 1795717959024, 1795717959024, 0, 0, 0, 0, 1, 0, 16), body.Stat);
        Assert.Equal(ApiCreate2Reply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_getData_with_a_watch_and_its_reply_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<GetDataRequest>(KazooGetDataWatchRequest);
        Assert.Equal(new RequestHeader(2, OpCode.GetData), header);
        Assert.Equal(new GetDataRequest("/golden", true), request);
        Assert.Equal(KazooGetDataWatchRequest, Wire.Frame(header, request));

        var (reply, body) = Wire.Reply<GetDataResponse>(KazooGetDataReply);
        Assert.Equal(new ReplyHeader(2, 2, ErrorCode.Ok), reply);
        Assert.Equal("hello", Wire.Utf8(body.Data));
        Assert.Equal(KazooGoldenStatAfterCreate, body.Stat);
        Assert.Equal(KazooGetDataReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_setData_its_notification_with_zxid_minus_one_and_its_reply_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<SetDataRequest>(KazooSetDataRequest);
        Assert.Equal(new RequestHeader(3, OpCode.SetData), header);
        Assert.Equal("/golden", request.Path);
        Assert.Equal("world", Wire.Utf8(request.Data));
        Assert.Equal(-1, request.Version);
        Assert.Equal(KazooSetDataRequest, Wire.Frame(header, request));

        var (notificationHeader, watcherEvent) = Wire.Reply<WatcherEvent>(KazooNotification);
        // ZooKeeper 3.8 sends zxid -1 on every notification (NIOServerCnxn.process), not the
        // triggering transaction's zxid; 3.9+ sends the event's zxid.
        Assert.Equal(new ReplyHeader(Xids.Notification, -1, ErrorCode.Ok), notificationHeader);
        Assert.Equal(new WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/golden"), watcherEvent);
        Assert.Equal(KazooNotification, Wire.Frame(notificationHeader, watcherEvent));

        var (reply, body) = Wire.Reply<SetDataResponse>(KazooSetDataReply);
        Assert.Equal(new ReplyHeader(3, 3, ErrorCode.Ok), reply);
        Assert.Equal(new Stat(2, 3, 1795717939536, 1795717939556, 1, 0, 0, 0, 5, 0, 2), body.Stat);
        Assert.Equal(KazooSetDataReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_kazoo_getChildren2_and_its_reply_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<GetChildren2Request>(KazooGetChildren2Request);
        Assert.Equal(new RequestHeader(5, OpCode.GetChildren2), header);
        Assert.Equal(new GetChildren2Request("/golden", false), request);
        Assert.Equal(KazooGetChildren2Request, Wire.Frame(header, request));

        var (reply, body) = Wire.Reply<GetChildren2Response>(KazooGetChildren2Reply);
        Assert.Equal(new ReplyHeader(5, 4, ErrorCode.Ok), reply);
        Assert.Equal(["child"], body.Children!);
        Assert.Equal(new Stat(2, 3, 1795717939536, 1795717939556, 1, 1, 0, 0, 5, 1, 4), body.Stat);
        Assert.Equal(KazooGetChildren2Reply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_java_getChildren2_and_its_reply_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<GetChildren2Request>(JavaGetChildren2Request);
        Assert.Equal(new RequestHeader(5, OpCode.GetChildren2), header);
        Assert.Equal(new GetChildren2Request("/jg", false), request);
        Assert.Equal(JavaGetChildren2Request, Wire.Frame(header, request));

        var (reply, body) = Wire.Reply<GetChildren2Response>(JavaGetChildren2Reply);
        Assert.Equal(["c1"], body.Children!);
        Assert.Equal(1, body.Stat.NumChildren);
        Assert.Equal(1, body.Stat.Cversion);
        Assert.Equal(JavaGetChildren2Reply, Wire.Frame(reply, body));
    }

    [Theory]
    [InlineData(KazooExistsMissingRequest, KazooExistsNoNodeReply, 7, "/golden/missing", 5L)]
    [InlineData(JavaExistsMissingRequest, JavaExistsNoNodeReply, 6, "/jg/missing", 12L)]
    public void An_exists_of_a_missing_node_is_answered_NoNode_with_only_the_header(string requestFrame, string replyFrame, int xid, string path, long zxid)
    {
        var (header, request) = Wire.Request<ExistsRequest>(requestFrame);
        Assert.Equal(new RequestHeader(xid, OpCode.Exists), header);
        Assert.Equal(new ExistsRequest(path, false), request);
        Assert.Equal(requestFrame, Wire.Frame(header, request));

        // Error replies carry no body: the frame is exactly the 16-byte header.
        var reply = Wire.HeaderOnly<ReplyHeader>(replyFrame);
        Assert.Equal(new ReplyHeader(xid, zxid, ErrorCode.NoNode), reply);
        Assert.Equal(replyFrame, Wire.Frame(reply));
    }

    [Theory]
    [InlineData(KazooNodeExistsReply, 8, 6L, ErrorCode.NodeExists)]
    [InlineData(KazooBadVersionReply, 9, 7L, ErrorCode.BadVersion)]
    [InlineData(ApiNoWatcherReply, 10, 0x14L, ErrorCode.NoWatcher)]
    [InlineData(KazooCloseReply, 10, 8L, ErrorCode.Ok)]
    [InlineData(JavaAuthReply, Xids.Auth, 0L, ErrorCode.Ok)]
    [InlineData(RawSetWatchesReply, Xids.SetWatches, 0x17L, ErrorCode.Ok)]
    public void Replies_without_a_body_are_exactly_the_16_byte_header(string frame, int xid, long zxid, ErrorCode err)
    {
        Assert.Equal(ReplyHeader.Size, Wire.Payload(frame).Length);
        var reply = Wire.HeaderOnly<ReplyHeader>(frame);
        Assert.Equal(new ReplyHeader(xid, zxid, err), reply);
        Assert.Equal(frame, Wire.Frame(reply));
    }

    [Fact]
    public void A_setData_with_an_explicit_version_decodes_and_encodes_to_the_same_frame()
    {
        var (header, request) = Wire.Request<SetDataRequest>(KazooBadVersionRequest);
        Assert.Equal(new RequestHeader(9, OpCode.SetData), header);
        Assert.Equal(42, request.Version);
        Assert.Equal("z", Wire.Utf8(request.Data));
        Assert.Equal(KazooBadVersionRequest, Wire.Frame(header, request));
    }

    [Theory]
    [InlineData(KazooCloseRequest, 10, OpCode.CloseSession)]
    [InlineData(JavaWhoAmIRequest, 8, OpCode.WhoAmI)]
    public void CloseSession_and_whoAmI_requests_are_only_the_header(string frame, int xid, OpCode type)
    {
        var header = Wire.HeaderOnly<RequestHeader>(frame);
        Assert.Equal(new RequestHeader(xid, type), header);
        Assert.Equal(frame, Wire.Frame(header));
    }

    [Fact]
    public void A_digest_auth_packet_decodes_and_encodes_to_the_same_frame()
    {
        var (header, auth) = Wire.Request<AuthPacket>(JavaAuthRequest);
        Assert.Equal(new RequestHeader(Xids.Auth, OpCode.Auth), header);
        Assert.Equal(0, auth.Type);
        Assert.Equal("digest", auth.Scheme);
        Assert.Equal("user:pass", Wire.Utf8(auth.Auth));
        Assert.Equal(JavaAuthRequest, Wire.Frame(header, auth));
    }

    [Fact]
    public void An_addWatch_reply_carries_a_four_byte_error_response_body()
    {
        var (header, request) = Wire.Request<AddWatchRequest>(JavaAddWatchRequest);
        Assert.Equal(new RequestHeader(7, OpCode.AddWatch), header);
        Assert.Equal(new AddWatchRequest("/jg", AddWatchMode.PersistentRecursive), request);
        Assert.Equal(JavaAddWatchRequest, Wire.Frame(header, request));

        Assert.Equal(ReplyHeader.Size + ErrorResponse.Size, Wire.Payload(JavaAddWatchReply).Length);
        var (reply, body) = Wire.Reply<ErrorResponse>(JavaAddWatchReply);
        Assert.Equal(new ReplyHeader(7, 12, ErrorCode.Ok), reply);
        Assert.Equal(new ErrorResponse(ErrorCode.Ok), body);
        Assert.Equal(JavaAddWatchReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_whoAmI_reply_lists_the_ip_then_the_digest_identity()
    {
        var (reply, body) = Wire.Reply<WhoAmIResponse>(JavaWhoAmIReply);
        Assert.Equal(new ReplyHeader(8, 12, ErrorCode.Ok), reply);
        Assert.Equal([new ClientInfo("ip", "127.0.0.1"), new ClientInfo("digest", "user")], body.ClientInfo!);
        Assert.Equal(JavaWhoAmIReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_getACL_request_and_its_reply_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<GetACLRequest>(JavaGetAclRequest);
        Assert.Equal(new RequestHeader(9, OpCode.GetAcl), header);
        Assert.Equal("/jg", request.Path);
        Assert.Equal(JavaGetAclRequest, Wire.Frame(header, request));

        var (reply, body) = Wire.Reply<GetACLResponse>(JavaGetAclReply);
        Assert.Equal(Acl.OpenAclUnsafe, body.Acl);
        Assert.Equal(1, body.Stat.Version);
        Assert.Equal(JavaGetAclReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_setACL_request_and_its_reply_bumping_only_the_aversion_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<SetACLRequest>(ApiSetAclRequest);
        Assert.Equal(new RequestHeader(11, OpCode.SetAcl), header);
        Assert.Equal("/jm", request.Path);
        Assert.Equal(Acl.OpenAclUnsafe, request.Acl);
        Assert.Equal(0, request.Version);
        Assert.Equal(ApiSetAclRequest, Wire.Frame(header, request));

        var (reply, body) = Wire.Reply<SetACLResponse>(ApiSetAclReply);
        Assert.Equal(new ReplyHeader(11, 0x15, ErrorCode.Ok), reply);
        // setACL bumps only aversion; mzxid stays.
        Assert.Equal(new Stat(16, 19, 1795717959024, 1795717959051, 1, 4, 1, 0, 1, 2, 20), body.Stat);
        Assert.Equal(ApiSetAclReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void A_sync_request_and_its_reply_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<SyncRequest>(JavaSyncRequest);
        Assert.Equal(new RequestHeader(11, OpCode.Sync), header);
        Assert.Equal(new SyncRequest("/jg"), request);
        Assert.Equal(JavaSyncRequest, Wire.Frame(header, request));
        var (reply, body) = Wire.Reply<SyncResponse>(JavaSyncReply);
        Assert.Equal(new SyncResponse("/jg"), body);
        Assert.Equal(JavaSyncReply, Wire.Frame(reply, body));
    }

    [Fact]
    public void GetAllChildrenNumber_and_getEphemerals_requests_and_replies_decode_and_encode_to_the_same_frames()
    {
        var (h1, r1) = Wire.Request<GetAllChildrenNumberRequest>(ApiGetAllChildrenNumberRequest);
        Assert.Equal(new RequestHeader(6, OpCode.GetAllChildrenNumber), h1);
        Assert.Equal(new GetAllChildrenNumberRequest("/jm"), r1);
        Assert.Equal(ApiGetAllChildrenNumberRequest, Wire.Frame(h1, r1));
        var (h2, r2) = Wire.Reply<GetAllChildrenNumberResponse>(ApiGetAllChildrenNumberReply);
        Assert.Equal(new GetAllChildrenNumberResponse(1), r2);
        Assert.Equal(ApiGetAllChildrenNumberReply, Wire.Frame(h2, r2));

        var (h3, r3) = Wire.Request<GetEphemeralsRequest>(ApiGetEphemeralsRequest);
        Assert.Equal(new RequestHeader(8, OpCode.GetEphemerals), h3);
        Assert.Equal(new GetEphemeralsRequest("/jm"), r3);
        Assert.Equal(ApiGetEphemeralsRequest, Wire.Frame(h3, r3));
        var (h4, r4) = Wire.Reply<GetEphemeralsResponse>(ApiGetEphemeralsReply);
        Assert.Equal(["/jm/e2"], r4.Ephemerals!);
        Assert.Equal(ApiGetEphemeralsReply, Wire.Frame(h4, r4));
    }

    [Fact]
    public void A_checkWatches_request_decodes_and_encodes_to_the_same_frame()
    {
        var (header, request) = Wire.Request<CheckWatchesRequest>(ApiCheckWatchesRequest);
        Assert.Equal(new RequestHeader(10, OpCode.CheckWatches), header);
        Assert.Equal(new CheckWatchesRequest("/jm", WatcherType.Children), request);
        Assert.Equal(ApiCheckWatchesRequest, Wire.Frame(header, request));
    }

    [Fact]
    public void A_setWatches_request_and_the_events_it_synthesizes_with_zxid_minus_one_decode_and_encode_to_the_same_frames()
    {
        var (header, request) = Wire.Request<SetWatches>(RawSetWatchesRequest);
        Assert.Equal(new RequestHeader(Xids.SetWatches, OpCode.SetWatches), header);
        Assert.Equal(0, request.RelativeZxid);
        Assert.Equal(["/golden"], request.DataWatches!);
        Assert.Equal(["/nothere", "/golden/child"], request.ExistWatches!);
        Assert.Equal(["/golden"], request.ChildWatches!);
        Assert.Equal(RawSetWatchesRequest, Wire.Frame(header, request));

        (string Frame, EventType Type, string Path)[] events =
        [
            (RawSetWatchesDataEvent, EventType.NodeDataChanged, "/golden"),
            (RawSetWatchesCreatedEvent, EventType.NodeCreated, "/golden/child"),
            (RawSetWatchesChildEvent, EventType.NodeChildrenChanged, "/golden"),
        ];
        foreach (var (frame, type, path) in events)
        {
            var (eventHeader, watcherEvent) = Wire.Reply<WatcherEvent>(frame);
            // Events synthesized by SetWatches carry zxid -1.
            Assert.Equal(new ReplyHeader(Xids.Notification, -1, ErrorCode.Ok), eventHeader);
            Assert.Equal(new WatcherEvent(type, KeeperState.SyncConnected, path), watcherEvent);
            Assert.Equal(frame, Wire.Frame(eventHeader, watcherEvent));
        }
    }
}
