using System.Security.Cryptography;
using System.Text;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.ProtocolFuzz;

/// <summary>
/// The valid sessions the fuzzer mutates, written with src/Jute's records: the handshake, every request
/// of the client protocol, pipelines (requests in the handshake's write), watches, auth, sasl and
/// four-letter words. Each works under its own subtree <c>/FZTOKEN0</c> (see <see cref="WireInput.Token"/>).
/// </summary>
public static class SeedSessions
{
    public const string Root = "/" + WireInput.Token;

    private static readonly IReadOnlyList<Acl> Open = Acl.OpenAclUnsafe;

    private static string P(string child) => child.Length == 0 ? Root : Root + "/" + child;

    /// <summary>A 45-byte ConnectRequest (readOnly present), new session.</summary>
    public static byte[] Connect(long sessionId = 0, byte[]? password = null, int timeout = 30000) =>
        Frame((ref JuteWriter w) => new ConnectRequest(0, 0, timeout, sessionId, password ?? new byte[16], false).Write(ref w));

    /// <summary>One request frame: RequestHeader(xid, op) + body.</summary>
    public static byte[] Request(int xid, OpCode op, IJuteRecord? body = null) =>
        Frame((ref JuteWriter w) =>
        {
            new RequestHeader(xid, op).Write(ref w);
            body?.Write(ref w);
        });

    /// <summary>A request frame whose body is given as raw bytes (fields the records cannot express).</summary>
    public static byte[] RawRequest(int xid, int op, byte[] body) =>
        Frame((ref JuteWriter w) =>
        {
            w.WriteInt(xid);
            w.WriteInt(op);
            foreach (byte b in body)
            {
                w.WriteByte(b);
            }
        });

    private delegate void BodyWriter(ref JuteWriter writer);

    private static byte[] Frame(BodyWriter write)
    {
        var buffer = new FrameBuffer();
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        write(ref writer);
        buffer.EndFrame();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The handshake, then each group of requests in one write after the ConnectResponse.</summary>
    private static WireInput Session(params byte[][][] groups) =>
        new([new WireWrite(Connect(), false), .. groups.Select(g => new WireWrite([.. g.SelectMany(f => f)], true))]);

    /// <summary>The handshake and the requests in one TCP write (the Java client's reconnect does this).</summary>
    private static WireInput Pipelined(params byte[][] frames) => new([new WireWrite([.. Connect(), .. frames.SelectMany(f => f)], false)]);

    private static byte[] D(string s) => Encoding.UTF8.GetBytes(s);

    private static string Digest(string userPassword) =>
        userPassword[..userPassword.IndexOf(':', StringComparison.Ordinal)] + ":" + Convert.ToBase64String(SHA1.HashData(D(userPassword)));

    private static byte[] Create(int xid, string path, string data = "d", CreateMode mode = CreateMode.Persistent, OpCode op = OpCode.Create, IReadOnlyList<Acl>? acl = null) =>
        Request(xid, op, new CreateRequest(path, D(data), acl ?? Open, mode));

    private static byte[] CloseSession(int xid) => Request(xid, OpCode.CloseSession);

    /// <summary>Every seed, named for what it exercises.</summary>
    public static IReadOnlyList<(string Name, WireInput Input)> All { get; } =
    [
        ("crud", Session(
            [Create(1, Root), Create(2, P("a"), "hello")],
            [Request(3, OpCode.GetData, new GetDataRequest(P("a"), true)), Request(4, OpCode.Exists, new ExistsRequest(P("b"), true))],
            [Request(5, OpCode.SetData, new SetDataRequest(P("a"), D("x"), 0)), Create(6, P("b"), "", op: OpCode.Create2)],
            [Request(7, OpCode.GetChildren, new GetChildrenRequest(Root, true)), Request(8, OpCode.GetChildren2, new GetChildren2Request(Root, false))],
            [Request(9, OpCode.Delete, new DeleteRequest(P("b"), -1)), Request(10, OpCode.Delete, new DeleteRequest(P("a"), 5)), CloseSession(11)])),
        ("modes", Session(
            [Create(1, Root), Create(2, P("e"), mode: CreateMode.Ephemeral, op: OpCode.Create2), Create(3, P("s-"), mode: CreateMode.PersistentSequential)],
            [Create(4, P("q-"), mode: CreateMode.EphemeralSequential), Create(5, P("c"), op: OpCode.CreateContainer, mode: CreateMode.Container)],
            [Request(6, OpCode.GetEphemerals, new GetEphemeralsRequest(Root)), Request(7, OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest(Root))],
            [Request(8, OpCode.CreateTtl, new CreateTTLRequest(P("t"), D("t"), Open, CreateMode.PersistentWithTtl, 1000)), CloseSession(9)])),
        ("multi", Session(
            [Create(1, Root)],
            [Request(2, OpCode.Multi, new MultiRequest([
                new MultiOp(OpCode.Create, new CreateRequest(P("m"), D("1"), Open, CreateMode.Persistent)),
                new MultiOp(OpCode.SetData, new SetDataRequest(P("m"), D("2"), 0)),
                new MultiOp(OpCode.Check, new CheckVersionRequest(P("m"), 1)),
                new MultiOp(OpCode.Create2, new CreateRequest(P("n"), null, Open, CreateMode.Persistent)),
            ]))],
            [Request(3, OpCode.Multi, new MultiRequest([
                new MultiOp(OpCode.Delete, new DeleteRequest(P("n"), -1)),
                new MultiOp(OpCode.Check, new CheckVersionRequest(P("m"), 7)),
            ]))],
            [Request(4, OpCode.MultiRead, new MultiRequest([
                new MultiOp(OpCode.GetData, new GetDataRequest(P("m"), false)),
                new MultiOp(OpCode.GetChildren, new GetChildrenRequest(Root, false)),
                new MultiOp(OpCode.GetData, new GetDataRequest(P("zz"), false)),
            ]))])),
        ("auth", Session(
            [Request(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", D("alice:pw")))],
            [Create(1, Root, acl: [new Acl(Perms.All, new Id("digest", Digest("alice:pw")))]), Request(2, OpCode.GetAcl, new GetACLRequest(Root))],
            [Request(3, OpCode.WhoAmI), Request(Xids.Auth, OpCode.Auth, new AuthPacket(0, "ip", D("127.0.0.1")))],
            [Request(4, OpCode.SetAcl, new SetACLRequest(Root, [new Acl(Perms.Read, Id.Anyone), new Acl(Perms.All, new Id("auth", ""))], 0))],
            [Request(5, OpCode.GetAcl, new GetACLRequest(Root)), Request(Xids.Auth, OpCode.Auth, new AuthPacket(0, "nosuch", D("x")))])),
        ("auth-then-acl-denied", Session(
            [Create(1, Root, acl: [new Acl(Perms.Read, Id.Anyone)])],
            [Create(2, P("x")), Request(3, OpCode.SetData, new SetDataRequest(Root, D("x"), -1))],
            [Request(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", D("super:test"))), Create(4, P("x"))])),
        ("pipelined-handshake", Pipelined(
            Create(1, Root), Request(2, OpCode.GetData, new GetDataRequest(Root, false)), Request(Xids.Ping, OpCode.Ping),
            Request(3, OpCode.Sync, new SyncRequest(Root)), CloseSession(4))),
        ("pipelined-auth-setwatches", Pipelined(
            Request(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", D("bob:pw"))),
            Request(Xids.SetWatches, OpCode.SetWatches, new SetWatches(0, [Root], [P("nope")], [Root])),
            Create(1, Root), Request(2, OpCode.Exists, new ExistsRequest(Root, false)))),
        ("watches", Session(
            [Create(1, Root), Request(2, OpCode.AddWatch, new AddWatchRequest(Root, AddWatchMode.PersistentRecursive))],
            [Create(3, P("x")), Request(4, OpCode.SetData, new SetDataRequest(P("x"), D("y"), -1))],
            [Request(5, OpCode.CheckWatches, new CheckWatchesRequest(Root, WatcherType.Any)), Request(6, OpCode.RemoveWatches, new RemoveWatchesRequest(Root, WatcherType.Data))],
            [Request(7, OpCode.AddWatch, new AddWatchRequest(P("x"), AddWatchMode.Persistent)), Request(8, OpCode.Delete, new DeleteRequest(P("x"), -1))],
            [Request(Xids.SetWatches, OpCode.SetWatches2, new SetWatches2(1, [P("x")], [P("y")], [Root], [Root], [])), Request(9, OpCode.Sync, new SyncRequest(P("x")))])),
        ("pings-and-paths", Session(
            [Request(Xids.Ping, OpCode.Ping), Request(11, OpCode.Ping), Request(12, OpCode.GetData, new GetDataRequest("", false))],
            [Request(13, OpCode.Exists, new ExistsRequest("", true)), Request(14, OpCode.GetChildren, new GetChildrenRequest("", false))],
            [Request(15, OpCode.Exists, new ExistsRequest(null, false)), Request(16, OpCode.GetAcl, new GetACLRequest(""))],
            [Request(17, OpCode.GetData, new GetDataRequest("/zookeeper/config", false)), Request(18, OpCode.Sync, new SyncRequest(""))],
            // (Not getAllChildrenNumber of "": it counts every earlier run's nodes.)
            [Request(20, OpCode.AddWatch, new AddWatchRequest("", AddWatchMode.Persistent))],
            [Request(21, OpCode.CheckWatches, new CheckWatchesRequest("", WatcherType.Any)), Create(22, Root), Request(23, OpCode.GetChildren2, new GetChildren2Request("", true))])),
        ("sasl-and-odd-ops", Session(
            [Request(1, OpCode.Sasl, new GetSASLRequest(D("token")))],
            [Request(2, OpCode.Check, new CheckVersionRequest(P("missing"), 0)), Request(3, OpCode.Reconfig, new ReconfigRequest(null, null, "server.1=x", -1))],
            [Request(4, OpCode.CreateSession), RawRequest(5, 99, [])])),
        ("resume-unknown-session", new WireInput([new WireWrite(Connect(0x1234_5678_9abc, new byte[16]), false)])),
        ("old-client-handshake", new WireInput([new WireWrite(Frame((ref JuteWriter w) => new ConnectRequest(0, 0, 4000, 0, new byte[16], null).Write(ref w)), false),
            new WireWrite(Create(1, Root), true)])),
        ("four-letter-ruok", new WireInput([new WireWrite(D("ruok"), false)])),
        ("four-letter-isro-trailing", new WireInput([new WireWrite(D("isro\n\0\0\0\u0001"), false)])),
        ("big-data", Session(
            [Create(1, Root, new string('x', 4000)), Request(2, OpCode.SetData, new SetDataRequest(Root, new byte[70_000], -1))],
            [Request(3, OpCode.GetData, new GetDataRequest(Root, false))])),
    ];
}
