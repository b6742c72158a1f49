// Golden frames captured from Apache ZooKeeper 3.8.0 (Debian bookworm 3.8.0-11+deb12u2) on 127.0.0.1,
// through the recording proxy tests/Jute.Tests/tools/proxy.py. Clients: kazoo 2.8.0 (tools/kz.py),
// zkCli.sh of the same Java client (a stdin script), a Java API program (tools/G.java), and a raw
// Python client (tools/raw.py) for the 44-byte handshake and SetWatches. Every value is one whole
// frame as it crossed the wire: the 4-byte length prefix plus the payload. Do not edit by hand.

namespace ZkGateway.Jute.Tests.Golden;

public static class GoldenFrames
{
    /// <summary>kazoo 2.8.0 → ZK 3.8.0: ConnectRequest, 45-byte body (readOnly present), timeOut 10000.</summary>
    public const string KazooConnectRequest =
        "0000002d000000000000000000000000000027100000000000000000000000100000000000000000000000000000000000";

    /// <summary>ZK 3.8.0 → kazoo: ConnectResponse, 37-byte body, new session.</summary>
    public const string KazooConnectResponse =
        "0000002500000000000027100100000fdd6b00000000001097325f90d865c561cd38add5e1a5675400";

    /// <summary>kazoo zk.create("/golden", b"hello"): xid 1, op 1, OPEN_ACL_UNSAFE, flags 0.</summary>
    public const string KazooCreateRequest =
        "0000003b0000000100000001000000072f676f6c64656e0000000568656c6c6f000000010000001f00000005776f726c6400000006616e796f6e6500000000";

    /// <summary>ZK → kazoo: ReplyHeader{1, zxid 2, 0} + CreateResponse{"/golden"}.</summary>
    public const string KazooCreateReply =
        "0000001b00000001000000000000000200000000000000072f676f6c64656e";

    /// <summary>kazoo zk.get("/golden", watch=fn): xid 2, op 4, watch true.</summary>
    public const string KazooGetDataWatchRequest =
        "000000140000000200000004000000072f676f6c64656e01";

    /// <summary>ZK → kazoo: GetDataResponse{"hello", Stat}.</summary>
    public const string KazooGetDataReply =
        "0000005d000000020000000000000002000000000000000568656c6c6f00000000000000020000000000000002000001a219214150000001a219214150000000000000000000000000000000000000000000000005000000000000000000000002";

    /// <summary>kazoo zk.set("/golden", b"world"): xid 3, op 5, version -1.</summary>
    public const string KazooSetDataRequest =
        "000000200000000300000005000000072f676f6c64656e00000005776f726c64ffffffff";

    /// <summary>ZK → kazoo: notification xid -1, zxid -1 (3.8 sends -1 for every notification), WatcherEvent{NodeDataChanged, SyncConnected, "/golden"}; sent before the setData reply.</summary>
    public const string KazooNotification =
        "00000023ffffffffffffffffffffffff000000000000000300000003000000072f676f6c64656e";

    /// <summary>ZK → kazoo: SetDataResponse{Stat version 1}.</summary>
    public const string KazooSetDataReply =
        "000000540000000300000000000000030000000000000000000000020000000000000003000001a219214150000001a219214164000000010000000000000000000000000000000000000005000000000000000000000002";

    /// <summary>kazoo zk.get_children("/golden", include_data=True): xid 5, op 12, watch false.</summary>
    public const string KazooGetChildren2Request =
        "00000014000000050000000c000000072f676f6c64656e00";

    /// <summary>ZK → kazoo: GetChildren2Response{["child"], parent Stat}.</summary>
    public const string KazooGetChildren2Reply =
        "000000610000000500000000000000040000000000000001000000056368696c6400000000000000020000000000000003000001a219214150000001a219214164000000010000000100000000000000000000000000000005000000010000000000000004";

    /// <summary>kazoo transaction: create("/golden/m1", b"x") + check("/golden", 99): xid 6, op 14.</summary>
    public const string KazooMultiRequest =
        "00000064000000060000000e0000000100ffffffff0000000a2f676f6c64656e2f6d310000000178000000010000001f00000005776f726c6400000006616e796f6e65000000000000000d00ffffffff000000072f676f6c64656e00000063ffffffff01ffffffff";

    /// <summary>ZK → kazoo: multi failed on the check: [{-1,false,0}+Err{0}, {-1,false,-103}+Err{-103}], terminator. Header err 0.</summary>
    public const string KazooMultiReply =
        "0000003300000006000000000000000500000000ffffffff000000000000000000ffffffff00ffffff99ffffff99ffffffff01ffffffff";

    /// <summary>kazoo zk.exists("/golden/missing"): xid 7, op 3, watch false.</summary>
    public const string KazooExistsMissingRequest =
        "0000001c00000007000000030000000f2f676f6c64656e2f6d697373696e6700";

    /// <summary>ZK → kazoo: ReplyHeader{7, zxid 5, -101 NoNode}, no body.</summary>
    public const string KazooExistsNoNodeReply =
        "00000010000000070000000000000005ffffff9b";

    /// <summary>ZK → kazoo: create("/golden") again → ReplyHeader{8, zxid 6, -110 NodeExists}; the failed write consumed zxid 6.</summary>
    public const string KazooNodeExistsReply =
        "00000010000000080000000000000006ffffff92";

    /// <summary>kazoo zk.set("/golden", b"z", version=42): xid 9, op 5.</summary>
    public const string KazooBadVersionRequest =
        "0000001c0000000900000005000000072f676f6c64656e000000017a0000002a";

    /// <summary>ZK → kazoo: ReplyHeader{9, zxid 7, -103 BadVersion}.</summary>
    public const string KazooBadVersionReply =
        "00000010000000090000000000000007ffffff99";

    /// <summary>kazoo zk.stop(): closeSession, xid 10, op -11, no body.</summary>
    public const string KazooCloseRequest =
        "000000080000000afffffff5";

    /// <summary>ZK → kazoo: ReplyHeader{10, zxid 8, 0}.</summary>
    public const string KazooCloseReply =
        "000000100000000a000000000000000800000000";

    /// <summary>zkCli.sh (Java client 3.8.0) → ZK: ConnectRequest, 45 bytes, timeOut 30000.</summary>
    public const string JavaConnectRequest =
        "0000002d000000000000000000000000000075300000000000000000000000100000000000000000000000000000000000";

    /// <summary>ZK → zkCli: ConnectResponse, 37 bytes.</summary>
    public const string JavaConnectResponse =
        "0000002500000000000075300100000fdd6b000100000010aa53599078b1a4a6c27b1401b52e7c2100";

    /// <summary>zkCli "addauth digest user:pass": xid -4, op 100, AuthPacket{0, "digest", "user:pass"}. (zkCli sent it twice.)</summary>
    public const string JavaAuthRequest =
        "00000023fffffffc00000064000000000000000664696765737400000009757365723a70617373";

    /// <summary>ZK → zkCli: auth reply ReplyHeader{-4, zxid 0, 0}.</summary>
    public const string JavaAuthReply =
        "00000010fffffffc000000000000000000000000";

    /// <summary>zkCli "ls -s /jg": xid 5, op 12.</summary>
    public const string JavaGetChildren2Request =
        "00000010000000050000000c000000032f6a6700";

    /// <summary>ZK → zkCli: GetChildren2Response{["c1"], Stat}.</summary>
    public const string JavaGetChildren2Reply =
        "0000005e00000005000000000000000c0000000000000001000000026331000000000000000a000000000000000b000001a219215f3a000001a21921628600000001000000010000000000000000000000000000000500000001000000000000000c";

    /// <summary>zkCli "stat /jg/missing": xid 6, op 3.</summary>
    public const string JavaExistsMissingRequest =
        "0000001800000006000000030000000b2f6a672f6d697373696e6700";

    /// <summary>ZK → zkCli: NoNode.</summary>
    public const string JavaExistsNoNodeReply =
        "0000001000000006000000000000000cffffff9b";

    /// <summary>zkCli "addWatch -m PERSISTENT_RECURSIVE /jg": xid 7, op 106, mode 1.</summary>
    public const string JavaAddWatchRequest =
        "00000013000000070000006a000000032f6a6700000001";

    /// <summary>ZK → zkCli: ReplyHeader + ErrorResponse{0} (the 4-byte body).</summary>
    public const string JavaAddWatchReply =
        "0000001400000007000000000000000c0000000000000000";

    /// <summary>zkCli "whoami": xid 8, op 107, no body.</summary>
    public const string JavaWhoAmIRequest =
        "00000008000000080000006b";

    /// <summary>ZK → zkCli: WhoAmIResponse[{ip,127.0.0.1},{digest,user}].</summary>
    public const string JavaWhoAmIReply =
        "0000003900000008000000000000000c0000000000000002000000026970000000093132372e302e302e31000000066469676573740000000475736572";

    /// <summary>zkCli "getAcl /jg": xid 9, op 6.</summary>
    public const string JavaGetAclRequest =
        "0000000f0000000900000006000000032f6a67";

    /// <summary>ZK → zkCli: GetACLResponse{[31 world:anyone], Stat}.</summary>
    public const string JavaGetAclReply =
        "0000006f00000009000000000000000c00000000000000010000001f00000005776f726c6400000006616e796f6e65000000000000000a000000000000000b000001a219215f3a000001a21921628600000001000000010000000000000000000000000000000500000001000000000000000c";

    /// <summary>zkCli "sync /jg": xid 11, op 9.</summary>
    public const string JavaSyncRequest =
        "0000000f0000000b00000009000000032f6a67";

    /// <summary>ZK → zkCli: SyncResponse{"/jg"}.</summary>
    public const string JavaSyncReply =
        "000000170000000b000000000000000d00000000000000032f6a67";

    /// <summary>Java API zk.create("/jm", "d", OPEN_ACL_UNSAFE, PERSISTENT, stat): xid 1, op 15.</summary>
    public const string ApiCreate2Request =
        "00000033000000010000000f000000032f6a6d0000000164000000010000001f00000005776f726c6400000006616e796f6e6500000000";

    /// <summary>ZK → Java: Create2Response{"/jm", Stat}.</summary>
    public const string ApiCreate2Reply =
        "0000005b00000001000000000000001000000000000000032f6a6d00000000000000100000000000000010000001a219218d70000001a219218d70000000000000000000000000000000000000000000000001000000000000000000000010";

    /// <summary>Java API create("/jm/e", EPHEMERAL): xid 2, op 1, flags 1, empty data.</summary>
    public const string ApiCreateEphemeralRequest =
        "000000340000000200000001000000052f6a6d2f6500000000000000010000001f00000005776f726c6400000006616e796f6e6500000001";

    /// <summary>Java API multi[create /jm/a, setData /jm, delete /jm/nope, check /jm v0]: xid 3, op 14.</summary>
    public const string ApiMultiFailRequest =
        "0000008d000000030000000e0000000100ffffffff000000052f6a6d2f610000000101000000010000001f00000005776f726c6400000006616e796f6e65000000000000000500ffffffff000000032f6a6d0000000176ffffffff0000000200ffffffff000000082f6a6d2f6e6f7065ffffffff0000000d00ffffffff000000032f6a6d00000000ffffffff01ffffffff";

    /// <summary>ZK → Java: [Err 0, Err 0, Err -101, Err -2], terminator.</summary>
    public const string ApiMultiFailReply =
        "0000004d00000003000000000000001200000000ffffffff000000000000000000ffffffff000000000000000000ffffffff00ffffff9bffffff9bffffffff00fffffffefffffffeffffffff01ffffffff";

    /// <summary>Java API multi[create /jm/b PERSISTENT_SEQUENTIAL, setData /jm, check /jm v1, delete /jm/e]: xid 4.</summary>
    public const string ApiMultiOkRequest =
        "0000008a000000040000000e0000000100ffffffff000000052f6a6d2f620000000102000000010000001f00000005776f726c6400000006616e796f6e65000000020000000500ffffffff000000032f6a6d0000000176ffffffff0000000d00ffffffff000000032f6a6d000000010000000200ffffffff000000052f6a6d2f65ffffffffffffffff01ffffffff";

    /// <summary>ZK → Java: [create(1) "/jm/b0000000001", setData(5)+Stat, check(13), delete(2)], terminator.</summary>
    public const string ApiMultiOkReply =
        "00000094000000040000000000000013000000000000000100000000000000000f2f6a6d2f623030303030303030303100000005000000000000000000000000100000000000000013000001a219218d70000001a219218d8b0000000100000002000000000000000000000000000000010000000200000000000000130000000d0000000000000000020000000000ffffffff01ffffffff";

    /// <summary>Java API multi[getChildren /jm, getData /jm, getData /nope] (all reads → op 22 multiRead): xid 5.</summary>
    public const string ApiMultiReadRequest =
        "0000004600000005000000160000000800ffffffff000000032f6a6d000000000400ffffffff000000032f6a6d000000000400ffffffff000000052f6e6f706500ffffffff01ffffffff";

    /// <summary>ZK → Java: [getChildren(8) ["b0000000001"], getData(4) "v"+Stat, Err -101], terminator.</summary>
    public const string ApiMultiReadReply =
        "0000009400000005000000000000001300000000000000080000000000000000010000000b6230303030303030303031000000040000000000000000017600000000000000100000000000000013000001a219218d70000001a219218d8b000000010000000300000000000000000000000000000001000000010000000000000013ffffffff00ffffff9bffffff9bffffffff01ffffffff";

    /// <summary>Java API getAllChildrenNumber("/jm"): xid 6, op 104.</summary>
    public const string ApiGetAllChildrenNumberRequest =
        "0000000f0000000600000068000000032f6a6d";

    /// <summary>ZK → Java: {1}.</summary>
    public const string ApiGetAllChildrenNumberReply =
        "000000140000000600000000000000130000000000000001";

    /// <summary>Java API getEphemerals("/jm"): xid 8, op 103.</summary>
    public const string ApiGetEphemeralsRequest =
        "0000000f0000000800000067000000032f6a6d";

    /// <summary>ZK → Java: ["/jm/e2"] (full paths).</summary>
    public const string ApiGetEphemeralsReply =
        "0000001e0000000800000000000000140000000000000001000000062f6a6d2f6532";

    /// <summary>Java API removeWatches("/jm", w, Children, local=false) → checkWatches op 17, type 1: xid 10.</summary>
    public const string ApiCheckWatchesRequest =
        "000000130000000a00000011000000032f6a6d00000001";

    /// <summary>ZK → Java: ReplyHeader{10, zxid 0x14, -121 NoWatcher}.</summary>
    public const string ApiNoWatcherReply =
        "000000100000000a0000000000000014ffffff87";

    /// <summary>Java API setACL("/jm", OPEN_ACL_UNSAFE, 0): xid 11, op 7.</summary>
    public const string ApiSetAclRequest =
        "0000002e0000000b00000007000000032f6a6d000000010000001f00000005776f726c6400000006616e796f6e6500000000";

    /// <summary>ZK → Java: SetACLResponse{Stat aversion 1}.</summary>
    public const string ApiSetAclReply =
        "000000540000000b00000000000000150000000000000000000000100000000000000013000001a219218d70000001a219218d8b000000010000000400000001000000000000000000000001000000020000000000000014";

    /// <summary>tools/raw.py (go-zookeeper style) → ZK: 44-byte ConnectRequest without readOnly, timeOut 6000.</summary>
    public const string RawConnectRequest44 =
        "0000002c0000000000000000000000000000177000000000000000000000001000000000000000000000000000000000";

    /// <summary>ZK → raw client: 36-byte ConnectResponse, readOnly omitted (mirrors the old client).</summary>
    public const string RawConnectResponse36 =
        "0000002400000000000017700100000fdd6b00030000001084116590381ae61cd8f545aa0e1d5387";

    /// <summary>tools/raw.py: SetWatches xid -8, op 101, relZxid 0, data ["/golden"], exist ["/nothere","/golden/child"], child ["/golden"].</summary>
    public const string RawSetWatchesRequest =
        "0000004ffffffff800000065000000000000000000000001000000072f676f6c64656e00000002000000082f6e6f74686572650000000d2f676f6c64656e2f6368696c6400000001000000072f676f6c64656e";

    /// <summary>ZK → raw: synthesized NodeDataChanged "/golden", zxid -1.</summary>
    public const string RawSetWatchesDataEvent =
        "00000023ffffffffffffffffffffffff000000000000000300000003000000072f676f6c64656e";

    /// <summary>ZK → raw: synthesized NodeCreated "/golden/child", zxid -1.</summary>
    public const string RawSetWatchesCreatedEvent =
        "00000029ffffffffffffffffffffffff0000000000000001000000030000000d2f676f6c64656e2f6368696c64";

    /// <summary>ZK → raw: synthesized NodeChildrenChanged "/golden", zxid -1.</summary>
    public const string RawSetWatchesChildEvent =
        "00000023ffffffffffffffffffffffff000000000000000400000003000000072f676f6c64656e";

    /// <summary>ZK → raw: ReplyHeader{-8, zxid 0x17, 0}, after the events.</summary>
    public const string RawSetWatchesReply =
        "00000010fffffff8000000000000001700000000";

    public static readonly IReadOnlyList<(string Name, string Hex)> All =
    [
        (nameof(KazooConnectRequest), KazooConnectRequest),
        (nameof(KazooConnectResponse), KazooConnectResponse),
        (nameof(KazooCreateRequest), KazooCreateRequest),
        (nameof(KazooCreateReply), KazooCreateReply),
        (nameof(KazooGetDataWatchRequest), KazooGetDataWatchRequest),
        (nameof(KazooGetDataReply), KazooGetDataReply),
        (nameof(KazooSetDataRequest), KazooSetDataRequest),
        (nameof(KazooNotification), KazooNotification),
        (nameof(KazooSetDataReply), KazooSetDataReply),
        (nameof(KazooGetChildren2Request), KazooGetChildren2Request),
        (nameof(KazooGetChildren2Reply), KazooGetChildren2Reply),
        (nameof(KazooMultiRequest), KazooMultiRequest),
        (nameof(KazooMultiReply), KazooMultiReply),
        (nameof(KazooExistsMissingRequest), KazooExistsMissingRequest),
        (nameof(KazooExistsNoNodeReply), KazooExistsNoNodeReply),
        (nameof(KazooNodeExistsReply), KazooNodeExistsReply),
        (nameof(KazooBadVersionRequest), KazooBadVersionRequest),
        (nameof(KazooBadVersionReply), KazooBadVersionReply),
        (nameof(KazooCloseRequest), KazooCloseRequest),
        (nameof(KazooCloseReply), KazooCloseReply),
        (nameof(JavaConnectRequest), JavaConnectRequest),
        (nameof(JavaConnectResponse), JavaConnectResponse),
        (nameof(JavaAuthRequest), JavaAuthRequest),
        (nameof(JavaAuthReply), JavaAuthReply),
        (nameof(JavaGetChildren2Request), JavaGetChildren2Request),
        (nameof(JavaGetChildren2Reply), JavaGetChildren2Reply),
        (nameof(JavaExistsMissingRequest), JavaExistsMissingRequest),
        (nameof(JavaExistsNoNodeReply), JavaExistsNoNodeReply),
        (nameof(JavaAddWatchRequest), JavaAddWatchRequest),
        (nameof(JavaAddWatchReply), JavaAddWatchReply),
        (nameof(JavaWhoAmIRequest), JavaWhoAmIRequest),
        (nameof(JavaWhoAmIReply), JavaWhoAmIReply),
        (nameof(JavaGetAclRequest), JavaGetAclRequest),
        (nameof(JavaGetAclReply), JavaGetAclReply),
        (nameof(JavaSyncRequest), JavaSyncRequest),
        (nameof(JavaSyncReply), JavaSyncReply),
        (nameof(ApiCreate2Request), ApiCreate2Request),
        (nameof(ApiCreate2Reply), ApiCreate2Reply),
        (nameof(ApiCreateEphemeralRequest), ApiCreateEphemeralRequest),
        (nameof(ApiMultiFailRequest), ApiMultiFailRequest),
        (nameof(ApiMultiFailReply), ApiMultiFailReply),
        (nameof(ApiMultiOkRequest), ApiMultiOkRequest),
        (nameof(ApiMultiOkReply), ApiMultiOkReply),
        (nameof(ApiMultiReadRequest), ApiMultiReadRequest),
        (nameof(ApiMultiReadReply), ApiMultiReadReply),
        (nameof(ApiGetAllChildrenNumberRequest), ApiGetAllChildrenNumberRequest),
        (nameof(ApiGetAllChildrenNumberReply), ApiGetAllChildrenNumberReply),
        (nameof(ApiGetEphemeralsRequest), ApiGetEphemeralsRequest),
        (nameof(ApiGetEphemeralsReply), ApiGetEphemeralsReply),
        (nameof(ApiCheckWatchesRequest), ApiCheckWatchesRequest),
        (nameof(ApiNoWatcherReply), ApiNoWatcherReply),
        (nameof(ApiSetAclRequest), ApiSetAclRequest),
        (nameof(ApiSetAclReply), ApiSetAclReply),
        (nameof(RawConnectRequest44), RawConnectRequest44),
        (nameof(RawConnectResponse36), RawConnectResponse36),
        (nameof(RawSetWatchesRequest), RawSetWatchesRequest),
        (nameof(RawSetWatchesDataEvent), RawSetWatchesDataEvent),
        (nameof(RawSetWatchesCreatedEvent), RawSetWatchesCreatedEvent),
        (nameof(RawSetWatchesChildEvent), RawSetWatchesChildEvent),
        (nameof(RawSetWatchesReply), RawSetWatchesReply),
    ];
}
