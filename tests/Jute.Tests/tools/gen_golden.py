import json
def load(f): return [json.loads(l)['hex'] for l in open(f)]
import os; os.chdir('/tmp/zkj')
K, J, A, R = load('kazoo.jsonl'), load('java.jsonl'), load('javaapi.jsonl'), load('raw.jsonl')
entries = [
 # (name, source list, 1-based line, comment)
 ('KazooConnectRequest', K, 1, 'kazoo 2.8.0 → ZK 3.8.0: ConnectRequest, 45-byte body (readOnly present), timeOut 10000.'),
 ('KazooConnectResponse', K, 2, 'ZK 3.8.0 → kazoo: ConnectResponse, 37-byte body, new session.'),
 ('KazooCreateRequest', K, 3, 'kazoo zk.create("/golden", b"hello"): xid 1, op 1, OPEN_ACL_UNSAFE, flags 0.'),
 ('KazooCreateReply', K, 4, 'ZK → kazoo: ReplyHeader{1, zxid 2, 0} + CreateResponse{"/golden"}.'),
 ('KazooGetDataWatchRequest', K, 5, 'kazoo zk.get("/golden", watch=fn): xid 2, op 4, watch true.'),
 ('KazooGetDataReply', K, 6, 'ZK → kazoo: GetDataResponse{"hello", Stat}.'),
 ('KazooSetDataRequest', K, 7, 'kazoo zk.set("/golden", b"world"): xid 3, op 5, version -1.'),
 ('KazooNotification', K, 8, 'ZK → kazoo: notification xid -1, zxid -1 (3.8 sends -1 for every notification), WatcherEvent{NodeDataChanged, SyncConnected, "/golden"}; sent before the setData reply.'),
 ('KazooSetDataReply', K, 9, 'ZK → kazoo: SetDataResponse{Stat version 1}.'),
 ('KazooGetChildren2Request', K, 12, 'kazoo zk.get_children("/golden", include_data=True): xid 5, op 12, watch false.'),
 ('KazooGetChildren2Reply', K, 13, 'ZK → kazoo: GetChildren2Response{["child"], parent Stat}.'),
 ('KazooMultiRequest', K, 14, 'kazoo transaction: create("/golden/m1", b"x") + check("/golden", 99): xid 6, op 14.'),
 ('KazooMultiReply', K, 15, 'ZK → kazoo: multi failed on the check: [{-1,false,0}+Err{0}, {-1,false,-103}+Err{-103}], terminator. Header err 0.'),
 ('KazooExistsMissingRequest', K, 16, 'kazoo zk.exists("/golden/missing"): xid 7, op 3, watch false.'),
 ('KazooExistsNoNodeReply', K, 17, 'ZK → kazoo: ReplyHeader{7, zxid 5, -101 NoNode}, no body.'),
 ('KazooNodeExistsReply', K, 19, 'ZK → kazoo: create("/golden") again → ReplyHeader{8, zxid 6, -110 NodeExists}; the failed write consumed zxid 6.'),
 ('KazooBadVersionRequest', K, 20, 'kazoo zk.set("/golden", b"z", version=42): xid 9, op 5.'),
 ('KazooBadVersionReply', K, 21, 'ZK → kazoo: ReplyHeader{9, zxid 7, -103 BadVersion}.'),
 ('KazooCloseRequest', K, 22, 'kazoo zk.stop(): closeSession, xid 10, op -11, no body.'),
 ('KazooCloseReply', K, 23, 'ZK → kazoo: ReplyHeader{10, zxid 8, 0}.'),
 ('JavaConnectRequest', J, 1, 'zkCli.sh (Java client 3.8.0) → ZK: ConnectRequest, 45 bytes, timeOut 30000.'),
 ('JavaConnectResponse', J, 2, 'ZK → zkCli: ConnectResponse, 37 bytes.'),
 ('JavaAuthRequest', J, 3, 'zkCli "addauth digest user:pass": xid -4, op 100, AuthPacket{0, "digest", "user:pass"}. (zkCli sent it twice.)'),
 ('JavaAuthReply', J, 6, 'ZK → zkCli: auth reply ReplyHeader{-4, zxid 0, 0}.'),
 ('JavaGetChildren2Request', J, 16, 'zkCli "ls -s /jg": xid 5, op 12.'),
 ('JavaGetChildren2Reply', J, 17, 'ZK → zkCli: GetChildren2Response{["c1"], Stat}.'),
 ('JavaExistsMissingRequest', J, 18, 'zkCli "stat /jg/missing": xid 6, op 3.'),
 ('JavaExistsNoNodeReply', J, 19, 'ZK → zkCli: NoNode.'),
 ('JavaAddWatchRequest', J, 20, 'zkCli "addWatch -m PERSISTENT_RECURSIVE /jg": xid 7, op 106, mode 1.'),
 ('JavaAddWatchReply', J, 21, 'ZK → zkCli: ReplyHeader + ErrorResponse{0} (the 4-byte body).'),
 ('JavaWhoAmIRequest', J, 22, 'zkCli "whoami": xid 8, op 107, no body.'),
 ('JavaWhoAmIReply', J, 23, 'ZK → zkCli: WhoAmIResponse[{ip,127.0.0.1},{digest,user}].'),
 ('JavaGetAclRequest', J, 24, 'zkCli "getAcl /jg": xid 9, op 6.'),
 ('JavaGetAclReply', J, 25, 'ZK → zkCli: GetACLResponse{[31 world:anyone], Stat}.'),
 ('JavaSyncRequest', J, 28, 'zkCli "sync /jg": xid 11, op 9.'),
 ('JavaSyncReply', J, 29, 'ZK → zkCli: SyncResponse{"/jg"}.'),
 ('ApiCreate2Request', A, 3, 'Java API zk.create("/jm", "d", OPEN_ACL_UNSAFE, PERSISTENT, stat): xid 1, op 15.'),
 ('ApiCreate2Reply', A, 4, 'ZK → Java: Create2Response{"/jm", Stat}.'),
 ('ApiCreateEphemeralRequest', A, 5, 'Java API create("/jm/e", EPHEMERAL): xid 2, op 1, flags 1, empty data.'),
 ('ApiMultiFailRequest', A, 7, 'Java API multi[create /jm/a, setData /jm, delete /jm/nope, check /jm v0]: xid 3, op 14.'),
 ('ApiMultiFailReply', A, 8, 'ZK → Java: [Err 0, Err 0, Err -101, Err -2], terminator.'),
 ('ApiMultiOkRequest', A, 9, 'Java API multi[create /jm/b PERSISTENT_SEQUENTIAL, setData /jm, check /jm v1, delete /jm/e]: xid 4.'),
 ('ApiMultiOkReply', A, 10, 'ZK → Java: [create(1) "/jm/b0000000001", setData(5)+Stat, check(13), delete(2)], terminator.'),
 ('ApiMultiReadRequest', A, 11, 'Java API multi[getChildren /jm, getData /jm, getData /nope] (all reads → op 22 multiRead): xid 5.'),
 ('ApiMultiReadReply', A, 12, 'ZK → Java: [getChildren(8) ["b0000000001"], getData(4) "v"+Stat, Err -101], terminator.'),
 ('ApiGetAllChildrenNumberRequest', A, 13, 'Java API getAllChildrenNumber("/jm"): xid 6, op 104.'),
 ('ApiGetAllChildrenNumberReply', A, 14, 'ZK → Java: {1}.'),
 ('ApiGetEphemeralsRequest', A, 17, 'Java API getEphemerals("/jm"): xid 8, op 103.'),
 ('ApiGetEphemeralsReply', A, 18, 'ZK → Java: ["/jm/e2"] (full paths).'),
 ('ApiCheckWatchesRequest', A, 21, 'Java API removeWatches("/jm", w, Children, local=false) → checkWatches op 17, type 1: xid 10.'),
 ('ApiNoWatcherReply', A, 22, 'ZK → Java: ReplyHeader{10, zxid 0x14, -121 NoWatcher}.'),
 ('ApiSetAclRequest', A, 23, 'Java API setACL("/jm", OPEN_ACL_UNSAFE, 0): xid 11, op 7.'),
 ('ApiSetAclReply', A, 24, 'ZK → Java: SetACLResponse{Stat aversion 1}.'),
 ('RawConnectRequest44', R, 1, 'tools/raw.py (go-zookeeper style) → ZK: 44-byte ConnectRequest without readOnly, timeOut 6000.'),
 ('RawConnectResponse36', R, 2, 'ZK → raw client: 36-byte ConnectResponse, readOnly omitted (mirrors the old client).'),
 ('RawSetWatchesRequest', R, 3, 'tools/raw.py: SetWatches xid -8, op 101, relZxid 0, data ["/golden"], exist ["/nothere","/golden/child"], child ["/golden"].'),
 ('RawSetWatchesDataEvent', R, 4, 'ZK → raw: synthesized NodeDataChanged "/golden", zxid -1.'),
 ('RawSetWatchesCreatedEvent', R, 5, 'ZK → raw: synthesized NodeCreated "/golden/child", zxid -1.'),
 ('RawSetWatchesChildEvent', R, 6, 'ZK → raw: synthesized NodeChildrenChanged "/golden", zxid -1.'),
 ('RawSetWatchesReply', R, 7, 'ZK → raw: ReplyHeader{-8, zxid 0x17, 0}, after the events.'),
]
out = ['// Golden frames captured from Apache ZooKeeper 3.8.0 (Debian bookworm 3.8.0-11+deb12u2) on 127.0.0.1,',
 '// through the recording proxy tests/Jute.Tests/tools/proxy.py. Clients: kazoo 2.8.0 (tools/kz.py),',
 '// zkCli.sh of the same Java client (a stdin script), a Java API program (tools/G.java), and a raw',
 '// Python client (tools/raw.py) for the 44-byte handshake and SetWatches. Every value is one whole',
 '// frame as it crossed the wire: the 4-byte length prefix plus the payload. Do not edit by hand.',
 '', 'namespace ZkGateway.Jute.Tests.Golden;', '', 'public static class GoldenFrames', '{']
for name, src, line, comment in entries:
    out.append(f'    /// <summary>{comment.replace("&","&amp;").replace("<","&lt;").replace(">","&gt;")}</summary>')
    out.append(f'    public const string {name} =\n        "{src[line-1]}";')
    out.append('')
out.append('    public static readonly IReadOnlyList<(string Name, string Hex)> All =\n    [')
for name, *_ in entries: out.append(f'        (nameof({name}), {name}),')
out.append('    ];\n}')
open('/work/wt-jute/tests/Jute.Tests/Golden/GoldenFrames.cs', 'w').write('\n'.join(out) + '\n')
