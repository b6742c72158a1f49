using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Differential;

/// <summary>
/// Runs a <see cref="Sequence"/> against one server and returns a normalized transcript: one line per
/// step (the op, then its reply), preceded by the watch events its session received before that reply,
/// then an end barrier (a ping per open session, so late events are seen) and which connections the server
/// closed.
/// <para>
/// Steps run one at a time, each awaiting its reply before the next is sent, so the interleaving of the
/// sessions is fixed. An event for session B caused by session A's write is queued to B before A's reply
/// (ZooKeeper's watch-before-reply promise), so it is on B's socket before B's next reply: the position
/// of each event among its own session's replies is deterministic.
/// </para>
/// Normalization (what may legitimately differ between two servers):
/// <list type="bullet">
/// <item>the run's subtree prefix becomes <c>/T</c>;</item>
/// <item>session ids (ephemeralOwner) become <c>s0</c>, <c>s1</c>, ...;</item>
/// <item>zxids become ranks: every reply zxid of a write (failed writes included) is a point of the
/// run's zxid order, numbered z0, z1, ... Stat zxids are shown as the rank they equal (or "zN+" for a
/// value between points); a read's reply zxid as the rank of the newest point at or below it (reads
/// carry "the last applied zxid", which other sessions on the same server may advance);</item>
/// <item>ctime/mtime are only checked to be set (wall-clock values differ);</item>
/// <item>children and getEphemerals lists are compared as sets (ZooKeeper returns them from hash sets).</item>
/// </list>
/// </summary>
public static partial class DiffExecutor
{
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ShortCloseWait = TimeSpan.FromSeconds(1.5);

    private sealed class SessionState(int index, RawZkClient client)
    {
        public int Index { get; } = index;

        public RawZkClient Client { get; } = client;

        public List<(ReplyHeader Header, WatcherEvent? Event)> Frames { get; } = [];

        public int Consumed { get; set; }

        public bool Closed { get; set; }
    }

    public static async Task<IReadOnlyList<string>> RunAsync(int port, Sequence sequence)
    {
        string prefix = "/diff-" + Guid.NewGuid().ToString("N")[..16];
        var sessions = new List<SessionState>();
        var lines = new List<string>();
        try
        {
            for (int k = 0; k < sequence.Sessions; k++)
            {
                var client = await RawZkClient.ConnectAsync(port, 30000);
                var state = new SessionState(k, client);
                client.Observer = (h, e) =>
                {
                    lock (state.Frames)
                    {
                        state.Frames.Add((h, e));
                    }
                };
                sessions.Add(state);
            }
            var ctx = new Context(prefix, sessions.Select(s => s.Client.SessionId).ToArray(), sessions);

            await StepAsync(ctx, sessions[0], "setup", new Create(0, "/T"), lines);
            for (int i = 0; i < sequence.Ops.Count; i++)
            {
                var op = sequence.Ops[i];
                var state = sessions[op.S % sessions.Count];
                if (state.Closed)
                {
                    lines.Add($"#{i} s{state.Index} {op.ToCode()} -> not sent: connection closed");
                    continue;
                }
                await StepAsync(ctx, state, "#" + i, op, lines);
            }

            // End barrier: a ping per open session; events queued before it are shown, in order.
            foreach (var state in sessions.Where(s => !s.Closed))
            {
                string result;
                try
                {
                    var reply = await state.Client.SendAsync(OpCode.Ping, null, Xids.Ping);
                    result = reply.Error == ErrorCode.Ok ? "ok" : "err " + reply.Error;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
                {
                    result = "connection closed";
                    state.Closed = true;
                }
                TakeEvents(ctx, state, lines, untilReply: true);
                lines.Add($"end s{state.Index} ping -> {result}");
            }
            return Normalize(lines);
        }
        finally
        {
            foreach (var state in sessions)
            {
                if (!state.Closed && !state.Client.Closed.IsCompleted)
                {
                    try
                    {
                        await state.Client.CloseSessionAsync();
                    }
                    catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
                    {
                        // Already closing.
                    }
                }
                await state.Client.DisposeAsync();
            }
        }
    }

    private sealed record Context(string Prefix, long[] SessionIds, List<SessionState> Sessions)
    {
        public string P(string path) =>
            path == "/T" ? Prefix : path.StartsWith("/T/", StringComparison.Ordinal) ? Prefix + path[2..] : path;
    }

    private static async Task PipelineAsync(Context ctx, SessionState state, string label, Pipeline pipeline, List<string> lines)
    {
        var sent = new List<(DiffOp Op, OpCode Code, Task<RawReply> Reply)>();
        foreach (var op in pipeline.Ops)
        {
            var (code, body, xid) = Encode(ctx, op);
            // SendAsync returns once the request is written (under the client's send lock), so requests leave in order.
            sent.Add((op, code, state.Client.SendAsync(code, body, xid)));
        }
        for (int j = 0; j < sent.Count; j++)
        {
            RawReply? reply = null;
            try
            {
                reply = await sent[j].Reply;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
            {
                // No reply: shown below.
            }
            TakeEvents(ctx, state, lines, untilReply: reply is not null);
            string result = reply is null ? "connection closed without a reply" : Render(ctx, sent[j].Op, sent[j].Code, reply);
            lines.Add($"{label}.{j} s{state.Index} {sent[j].Op.ToCode()} -> {result}");
            if (reply is null)
            {
                state.Closed = true;
            }
        }
    }

    private static async Task StepAsync(Context ctx, SessionState state, string label, DiffOp op, List<string> lines)
    {
        if (op is Pipeline pipeline)
        {
            lines.Add($"{label} s{state.Index} pipeline of {pipeline.Ops.Count}");
            await PipelineAsync(ctx, state, label, pipeline, lines);
            return;
        }

        var (code, body, xid) = Encode(ctx, op);
        RawReply? reply = null;
        try
        {
            reply = await state.Client.SendAsync(code, body, xid);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
        {
            // No reply: shown below.
        }
        if (op is CloseSession)
        {
            // Events the closing session gets from its own ephemerals' deletion: hash-set order, see below.
            var block = new List<string>();
            TakeEvents(ctx, state, block, untilReply: reply is not null);
            lines.AddRange(block.Order(StringComparer.Ordinal));
        }
        else
        {
            TakeEvents(ctx, state, lines, untilReply: reply is not null);
        }
        string result = reply is null ? "connection closed without a reply" : Render(ctx, op, code, reply);
        lines.Add($"{label} s{state.Index} {op.ToCode()} -> {result}");

        // Where the server closes the connection: always after closeSession or a missing reply; after
        // AuthFailed and Unimplemented ZooKeeper closes in some cases (unknown scheme, unknown op) and not in
        // others (a disabled TTL create), so wait a little for the close, and otherwise prove the connection
        // open with a ping. Other replies leave it open; an unexpected close shows up at the next step.
        if (op is CloseSession || reply is null || reply.Error is ErrorCode.AuthFailed or ErrorCode.Unimplemented)
        {
            var wait = op is CloseSession || reply is null ? CloseWait : ShortCloseWait;
            bool closed;
            try
            {
                await state.Client.Closed.WaitAsync(wait);
                closed = true;
            }
            catch (TimeoutException)
            {
                closed = false;
            }
            if (closed)
            {
                TakeEvents(ctx, state, lines, untilReply: false);
                lines.Add($"   s{state.Index} connection closed by the server");
            }
            else
            {
                string ping;
                try
                {
                    var pong = await state.Client.SendAsync(OpCode.Ping, null, Xids.Ping);
                    ping = pong.Error == ErrorCode.Ok ? "answered" : "err " + pong.Error;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
                {
                    ping = "not answered (closed late)";
                    closed = true;
                }
                TakeEvents(ctx, state, lines, untilReply: !closed);
                lines.Add($"   s{state.Index} connection left open (ping {ping})");
            }
            state.Closed = closed;
        }

        if (op is CloseSession)
        {
            // The closed session's ephemerals are deleted in one transaction, in the order of 3.8.0's per-session
            // HashSet of paths; the paths hold the run's random prefix, so that order (and the order of the
            // events it fires to one connection) differs from run to run on ZooKeeper itself. So the other
            // sessions are pinged right away, and the events each got from the close are compared as a set.
            foreach (var other in ctx.Sessions.Where(o => o != state && !o.Closed))
            {
                var block = new List<string>();
                string ping;
                try
                {
                    var pong = await other.Client.SendAsync(OpCode.Ping, null, Xids.Ping);
                    ping = pong.Error == ErrorCode.Ok ? "ok" : "err " + pong.Error;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
                {
                    ping = "connection closed";
                    other.Closed = true;
                }
                TakeEvents(ctx, other, block, untilReply: !other.Closed);
                lines.AddRange(block.Order(StringComparer.Ordinal));
                lines.Add($"   s{other.Index} ping after the close -> {ping} (events before it sorted)");
            }
        }
    }

    /// <summary>Moves the session's events (up to and including the next reply frame) into the transcript.</summary>
    private static void TakeEvents(Context ctx, SessionState state, List<string> lines, bool untilReply)
    {
        lock (state.Frames)
        {
            while (state.Consumed < state.Frames.Count)
            {
                var (header, e) = state.Frames[state.Consumed++];
                if (e is null)
                {
                    if (untilReply)
                    {
                        return;
                    }
                    lines.Add($"   s{state.Index} unexpected reply xid {header.Xid}");
                    continue;
                }
                lines.Add($"   s{state.Index} event {e.Type} {e.State} {Path(ctx, e.Path)} zxid={header.Zxid}");
            }
        }
    }

    /// <summary>create (1), create2 (15) when <c>two</c>; a container is always sent as createContainer (19).</summary>
    private static OpCode CreateOp(CreateMode mode, bool two) =>
        mode == CreateMode.Container ? OpCode.CreateContainer : two ? OpCode.Create2 : OpCode.Create;

    private static (OpCode Code, IJuteRecord? Body, int? Xid) Encode(Context ctx, DiffOp op)
    {
        static byte[]? D(string? s) => s is null ? null : Encoding.UTF8.GetBytes(s);
        return op switch
        {
            Create c => (CreateOp(c.Mode, c.Two), new CreateRequest(ctx.P(c.Path), D(c.Data), Acls.Of(c.Acl), c.Mode), null),
            Delete d => (OpCode.Delete, new DeleteRequest(ctx.P(d.Path), d.Version), null),
            SetData s => (OpCode.SetData, new SetDataRequest(ctx.P(s.Path), D(s.Data), s.Version), null),
            Exists e => (OpCode.Exists, new ExistsRequest(ctx.P(e.Path), e.Watch), null),
            GetData g => (OpCode.GetData, new GetDataRequest(ctx.P(g.Path), g.Watch), null),
            GetChildren g when g.Two => (OpCode.GetChildren2, new GetChildren2Request(ctx.P(g.Path), g.Watch), null),
            GetChildren g => (OpCode.GetChildren, new GetChildrenRequest(ctx.P(g.Path), g.Watch), null),
            GetAcl g => (OpCode.GetAcl, new GetACLRequest(ctx.P(g.Path)), null),
            SetAcl s => (OpCode.SetAcl, new SetACLRequest(ctx.P(s.Path), Acls.Of(s.Acl), s.Version), null),
            Sync s => (OpCode.Sync, new SyncRequest(ctx.P(s.Path)), null),
            AddAuth a => (OpCode.Auth, new AuthPacket(0, a.Scheme, Encoding.UTF8.GetBytes(a.Credential)), Xids.Auth),
            AddWatch w => (OpCode.AddWatch, new AddWatchRequest(ctx.P(w.Path), w.Recursive ? AddWatchMode.PersistentRecursive : AddWatchMode.Persistent), null),
            CheckWatches w => (OpCode.CheckWatches, new CheckWatchesRequest(ctx.P(w.Path), w.Type), null),
            RemoveWatches w => (OpCode.RemoveWatches, new RemoveWatchesRequest(ctx.P(w.Path), w.Type), null),
            AllChildrenNumber a => (OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest(ctx.P(a.Path)), null),
            GetEphemerals g => (OpCode.GetEphemerals, new GetEphemeralsRequest(ctx.P(g.Prefix)), null),
            WhoAmI => (OpCode.WhoAmI, null, null),
            CloseSession => (OpCode.CloseSession, null, null),
            RawOp r => ((OpCode)r.OpCode, new RawBody(r.Body), null),
            Multi m => (OpCode.Multi, new MultiRequest(m.Ops.Select(o => Sub(ctx, o)).ToList()), null),
            MultiRead m => (OpCode.MultiRead, new MultiRequest(m.Ops.Select(o => Sub(ctx, o)).ToList()), null),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown op"),
        };

        static MultiOp Sub(Context ctx, MultiSub sub) => sub switch
        {
            MCreate c => new MultiOp(CreateOp(c.Mode, c.Two), new CreateRequest(ctx.P(c.Path), D(c.Data), Acls.Of(c.Acl), c.Mode)),
            MDelete d => new MultiOp(OpCode.Delete, new DeleteRequest(ctx.P(d.Path), d.Version)),
            MSetData s => new MultiOp(OpCode.SetData, new SetDataRequest(ctx.P(s.Path), D(s.Data), s.Version)),
            MCheck c => new MultiOp(OpCode.Check, new CheckVersionRequest(ctx.P(c.Path), c.Version)),
            ReadSub r when r.Children => new MultiOp(OpCode.GetChildren, new GetChildrenRequest(ctx.P(r.Path), false)),
            ReadSub r => new MultiOp(OpCode.GetData, new GetDataRequest(ctx.P(r.Path), false)),
            _ => throw new ArgumentOutOfRangeException(nameof(sub), sub, "unknown multi op"),
        };
    }

    // ---- rendering --------------------------------------------------------------------------------

    // Zxid placeholders, resolved to ranks once the whole run is known (Normalize).
    private static string WriteZxid(long z) => z > 0 ? $"⟨W{z}⟩" : z.ToString(CultureInfo.InvariantCulture);

    private static string ReadZxid(long z) => z > 0 ? $"⟨R{z}⟩" : z.ToString(CultureInfo.InvariantCulture);

    private static string StatZxid(long z) => z > 0 ? $"⟨S{z}⟩" : z.ToString(CultureInfo.InvariantCulture);

    private static string Path(Context ctx, string? path) => path is null ? "null" : path.Replace(ctx.Prefix, "/T", StringComparison.Ordinal);

    private static string Data(byte[]? data) => data is null ? "null" : Code.Q(Encoding.UTF8.GetString(data));

    private static string Owner(Context ctx, long owner)
    {
        if (owner == 0)
        {
            return "0";
        }
        int k = Array.IndexOf(ctx.SessionIds, owner);
        return k >= 0 ? "s" + k : "other";
    }

    private static string Stat(Context ctx, Stat s) =>
        $"{{czxid={StatZxid(s.Czxid)} mzxid={StatZxid(s.Mzxid)} pzxid={StatZxid(s.Pzxid)} v={s.Version} cv={s.Cversion} av={s.Aversion} " +
        $"eph={Owner(ctx, s.EphemeralOwner)} len={s.DataLength} kids={s.NumChildren} times={(s.Ctime > 0 && s.Mtime > 0 ? "set" : $"{s.Ctime}/{s.Mtime}")}}}";

    private static string Set(Context ctx, IEnumerable<string>? names) =>
        names is null ? "null" : "{" + string.Join(",", names.Select(n => Path(ctx, n)).Order(StringComparer.Ordinal)) + "}";

    private static string AclList(IReadOnlyList<Acl>? acl) =>
        acl is null ? "null" : "[" + string.Join(",", acl.Select(a => $"{(int)a.Perms}:{a.Id.Scheme}:{a.Id.Ident}")) + "]";

    private static string Render(Context ctx, DiffOp op, OpCode code, RawReply reply)
    {
        var h = reply.Header;
        string zxid = op is AddAuth ? h.Zxid.ToString(CultureInfo.InvariantCulture) : op.IsWrite ? WriteZxid(h.Zxid) : ReadZxid(h.Zxid);
        string head = $"{(h.Err == ErrorCode.Ok ? "ok" : "err " + h.Err)} zxid={zxid}";
        if (h.Err != ErrorCode.Ok)
        {
            return reply.Body.Length == 0 ? head : $"{head} body={Convert.ToHexString(reply.Body)}";
        }
        try
        {
            var reader = new JuteReader(reply.Body);
            string body = code switch
            {
                OpCode.Create => Path(ctx, CreateResponse.Read(ref reader).Path),
                OpCode.Create2 or OpCode.CreateContainer => Create2(ctx, Create2Response.Read(ref reader)),
                OpCode.SetData => Stat(ctx, SetDataResponse.Read(ref reader).Stat),
                OpCode.Exists => Stat(ctx, ExistsResponse.Read(ref reader).Stat),
                OpCode.GetData => GetDataBody(ctx, GetDataResponse.Read(ref reader)),
                OpCode.GetChildren => Set(ctx, GetChildrenResponse.Read(ref reader).Children),
                OpCode.GetChildren2 => Children2(ctx, GetChildren2Response.Read(ref reader)),
                OpCode.GetAcl => GetAclBody(ctx, GetACLResponse.Read(ref reader)),
                OpCode.SetAcl => Stat(ctx, SetACLResponse.Read(ref reader).Stat),
                OpCode.Sync => Path(ctx, SyncResponse.Read(ref reader).Path),
                OpCode.GetAllChildrenNumber => GetAllChildrenNumberResponse.Read(ref reader).TotalNumber.ToString(CultureInfo.InvariantCulture),
                OpCode.GetEphemerals => Set(ctx, GetEphemeralsResponse.Read(ref reader).Ephemerals),
                OpCode.WhoAmI => WhoAmIBody(WhoAmIResponse.Read(ref reader)),
                OpCode.Multi or OpCode.MultiRead => MultiBody(ctx, MultiResponse.Read(ref reader)),
                _ => "",
            };
            int rest = reply.Body.Length - reader.Position;
            if (rest > 0)
            {
                body = $"{body} +{rest} bytes {Convert.ToHexString(reply.Body.AsSpan(reader.Position))}".TrimStart();
            }
            return body.Length == 0 ? head : $"{head} {body}";
        }
        catch (Exception e) when (e is JuteFormatException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            return $"{head} undecodable body {Convert.ToHexString(reply.Body)} ({e.GetType().Name})";
        }
    }

    private static string Create2(Context ctx, Create2Response r) => $"{Path(ctx, r.Path)} {Stat(ctx, r.Stat)}";

    private static string GetDataBody(Context ctx, GetDataResponse r) => $"{Data(r.Data)} {Stat(ctx, r.Stat)}";

    private static string Children2(Context ctx, GetChildren2Response r) => $"{Set(ctx, r.Children)} {Stat(ctx, r.Stat)}";

    private static string GetAclBody(Context ctx, GetACLResponse r) => $"{AclList(r.Acl)} {Stat(ctx, r.Stat)}";

    // whoAmI keeps the server's order: 3.8.0 lists a connection's ids in its hash set's order, which is
    // deterministic (String.hashCode), and the gateway reproduces it (docs/compatibility.md).
    private static string WhoAmIBody(WhoAmIResponse r) =>
        r.ClientInfo is null ? "null" : "[" + string.Join(",", r.ClientInfo.Select(c => $"{c.AuthScheme}/{c.User}")) + "]";

    private static string MultiBody(Context ctx, MultiResponse r) =>
        "[" + string.Join("; ", r.Results.Select(x => $"{(int)x.Type} {x.Err}" + x.Body switch
        {
            null => "",
            CreateResponse c => " " + Path(ctx, c.Path),
            Create2Response c => " " + Create2(ctx, c),
            SetDataResponse s => " " + Stat(ctx, s.Stat),
            GetDataResponse g => " " + GetDataBody(ctx, g),
            GetChildrenResponse g => " " + Set(ctx, g.Children),
            ErrorResponse e => " error " + e.Err,
            var other => " " + other,
        })) + "]";

    // ---- zxid ranks ---------------------------------------------------------------------------------

    [GeneratedRegex("⟨([WRS])(-?[0-9]+)⟩")]
    private static partial Regex ZxidToken();

    private static List<string> Normalize(List<string> lines)
    {
        var points = new SortedSet<long>();
        foreach (var line in lines)
        {
            foreach (Match m in ZxidToken().Matches(line))
            {
                if (m.Groups[1].Value == "W")
                {
                    points.Add(long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
                }
            }
        }
        var sorted = points.ToArray();
        return lines.Select(line => ZxidToken().Replace(line, m =>
        {
            long z = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            int i = Array.BinarySearch(sorted, z);
            if (i >= 0)
            {
                return "z" + i;
            }
            int below = ~i - 1; // the newest point under z, -1 if none
            return m.Groups[1].Value == "R" ? (below >= 0 ? "z" + below : "z<0") : (below >= 0 ? $"z{below}+" : "z<0");
        })).ToList();
    }
}
