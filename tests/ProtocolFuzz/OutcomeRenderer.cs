using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.ProtocolFuzz;

/// <summary>
/// Turns what a server sent for one input into comparable lines: the ConnectResponse, each reply (header
/// and decoded body) and event in order, then how the connection ended (barrier answered, closed by the
/// server, or left open), and any incomplete trailing bytes.
/// <para>Normalized, because it differs between two correct servers:</para>
/// <list type="bullet">
/// <item>zxids become ranks: the reply zxids of writes are the points z0, z1, …; other zxids (reads, Stat
/// fields) are shown as the point they equal, "zN+" between points, "z&lt;0" below all (older history);</item>
/// <item>the session id and password of the handshake are shown only as zero or not (and the length);
/// ephemeralOwner as self / other / 0; ctime and mtime only as set;</item>
/// <item>the run's token in strings becomes <see cref="WireInput.Token"/>; children lists are sorted
/// (ZooKeeper returns them from a hash set);</item>
/// <item>replies to auth (op 100) and sasl (op 102) are listed apart, sorted: 3.8.0 answers both from its
/// I/O thread (ZooKeeperServer.processPacket), outside the request pipeline, so they overtake the replies
/// of requests still in flight, by timing;</item>
/// <item>the text of a four-letter word is compared only for the words whose answer does not name the
/// server (ruok, isro, stmk); for the others only whether text came.</item>
/// </list>
/// </summary>
public static partial class OutcomeRenderer
{
    [System.Text.RegularExpressions.GeneratedRegex("^\"[0-9a-f]{8}\"$")]
    private static partial System.Text.RegularExpressions.Regex OtherRun();

    private static readonly HashSet<int> Writes =
    [
        (int)OpCode.Create, (int)OpCode.Delete, (int)OpCode.SetData, (int)OpCode.SetAcl, (int)OpCode.Check, (int)OpCode.Multi,
        (int)OpCode.Create2, (int)OpCode.Reconfig, (int)OpCode.CreateContainer, (int)OpCode.DeleteContainer, (int)OpCode.CreateTtl,
        (int)OpCode.CloseSession, (int)OpCode.CreateSession,
    ];

    // Not gtmk: it answers the trace mask the last stmk of any earlier run set (server-wide state).
    private static readonly string[] ComparedWords = ["ruok", "isro", "stmk"];

    public static IReadOnlyList<string> Render(WireInput sent, WireResult result, string token)
    {
        byte[] input = sent.Concat();
        var lines = new List<string>();
        if (input.Length >= 4 && input[..4].All(b => b is >= (byte)'a' and <= (byte)'z'))
        {
            string word = Encoding.ASCII.GetString(input, 0, 4);
            string text = Encoding.UTF8.GetString(result.Received);
            lines.Add(ComparedWords.Contains(word) ? $"text {Escape(Encoding.UTF8.GetBytes(text), token)}" : result.Received.Length > 0 ? "text (not compared)" : "no text");
            lines.Add(result.Closed ? "closed" : "left open");
            return lines;
        }

        byte[] requests = result.BarrierSent ? [.. input, .. WireExecutor.Barrier] : input;
        var ops = RequestOps(requests);
        var frames = WireExecutor.Frames(result.Received).ToList();
        int end = frames.Count > 0 ? frames[^1].End : 0;
        long sessionId = 0;
        var rendered = new List<(string Line, long Zxid, bool Write)>();
        var outside = new List<string>();
        for (int i = 0; i < frames.Count; i++)
        {
            byte[] payload = frames[i].Payload;
            if (i == 0)
            {
                rendered.Add((Connect(payload, out sessionId), 0, false));
                continue;
            }
            if (payload.AsSpan().SequenceEqual(frames[0].Payload))
            {
                // A client-sent createSession with its timeout: 3.8.0 sends the handshake's ConnectResponse again.
                rendered.Add(("the ConnectResponse again", 0, false));
                continue;
            }
            var r = new JuteReader(payload);
            if (payload.Length < 16)
            {
                rendered.Add(($"short frame {Hex(payload)}", 0, false));
                continue;
            }
            int xid = r.ReadInt();
            long zxid = r.ReadLong();
            int err = r.ReadInt();
            if (xid == -1)
            {
                rendered.Add(($"event {Body(ref r, payload, -1, sessionId, token)} zxid={Z(zxid)}", zxid, false));
                continue;
            }
            int op = Take(ops, xid);
            string head = $"xid={xid} op={op} err={err}";
            string line = err != 0
                ? (r.IsAtEnd ? head : $"{head} body={Hex(payload[r.Position..])}")
                : $"{head} {Body(ref r, payload, op, sessionId, token)}".TrimEnd();
            if (op is (int)OpCode.Auth or (int)OpCode.Sasl)
            {
                outside.Add($"{line} zxid={ReadZ(zxid)}");
                continue;
            }
            bool write = Writes.Contains(op) && zxid > 0;
            rendered.Add(($"{line} zxid={(write ? Z(zxid) : ReadZ(zxid))}", zxid, write));
        }

        // 3.8.0 sends AuthFailed and the Unimplemented of an unknown opcode from its I/O thread and closes
        // at once: which replies of requests still in its pipeline got out first is timing (fsync, threads).
        // So are the events those requests fire (FinalRequestProcessor, e.g. a SetWatches on a missing node):
        // 60 runs of one input gave both NodeDeleted events before the Unimplemented 40 times, none 11 times,
        // and one or two after it (between its reply and its closeConn) the other 9 (docs/compatibility.md).
        if (result.Closed && (outside.Any(l => l.Contains("err=-115", StringComparison.Ordinal)) || rendered.Any(x => x.Line.Contains("err=-6 zxid=-1", StringComparison.Ordinal))))
        {
            rendered.RemoveAll(x => (x.Line.StartsWith("xid=", StringComparison.Ordinal) && !x.Line.Contains("err=-6 zxid=-1", StringComparison.Ordinal))
                || x.Line.StartsWith("event ", StringComparison.Ordinal));
            rendered.Add(("replies and events in flight at an I/O-thread close: not compared", 0, false));
        }

        var points = rendered.Where(x => x.Write).Select(x => x.Zxid).Distinct().Order().ToArray();
        lines.AddRange(rendered.Select(x => Ranks(x.Line, points)));
        if (frames.Count == 0)
        {
            lines.Add("no ConnectResponse");
        }
        lines.AddRange(outside.Select(l => Ranks(l, points)).Order(StringComparer.Ordinal).Select(l => "outside the pipeline: " + l));
        if (end < result.Received.Length)
        {
            lines.Add($"incomplete frame, {result.Received.Length - end} bytes");
        }
        lines.Add(result.Closed ? (result.ClosedBeforeBarrier == false ? "closed by the server only after the barrier's bytes" : "closed by the server") : result.BarrierSent ? "open (barrier answered or pending)" : "open, no barrier sent");
        return lines;
    }

    /// <summary>The (xid, op) of every complete request frame after the ConnectRequest, in order.</summary>
    private static List<(int Xid, int Op)> RequestOps(byte[] requests) =>
        [.. WireExecutor.Frames(requests).Skip(1).Where(f => f.Payload.Length >= 8)
            .Select(f => (BinaryPrimitives.ReadInt32BigEndian(f.Payload), BinaryPrimitives.ReadInt32BigEndian(f.Payload.AsSpan(4))))];

    /// <summary>The op of the first request not yet answered with this xid (pings are answered with xid −2 whatever they carried).</summary>
    private static int Take(List<(int Xid, int Op)> ops, int xid)
    {
        int i = ops.FindIndex(o => o.Xid == xid || (xid == -2 && o.Op == (int)OpCode.Ping));
        if (i < 0)
        {
            return 0;
        }
        int op = ops[i].Op;
        ops.RemoveAt(i);
        return op;
    }

    private static string Connect(byte[] payload, out long sessionId)
    {
        sessionId = 0;
        var r = new JuteReader(payload);
        try
        {
            int version = r.ReadInt();
            int timeout = r.ReadInt();
            sessionId = r.ReadLong();
            var pw = r.ReadBufferSpan(out bool isNull);
            string readOnly = r.IsAtEnd ? "absent" : r.ReadBool().ToString();
            string rest = r.IsAtEnd ? "" : $" +{Hex(payload[r.Position..])}";
            return $"connect v={version} timeout={timeout} session={(sessionId == 0 ? "0" : "new")} passwd={(isNull ? "null" : pw.Length + (pw.IndexOfAnyExcept((byte)0) < 0 ? " zero" : " set"))} readOnly={readOnly}{rest}";
        }
        catch (JuteFormatException)
        {
            return $"connect undecodable {Hex(payload)}";
        }
    }

    private static string Body(ref JuteReader r, byte[] payload, int op, long sessionId, string token)
    {
        int start = r.Position;
        try
        {
            var b = new StringBuilder();
            var c = new BodyReader(sessionId, token);
            switch (op)
            {
                case -1:
                    b.Append($"type={r.ReadInt()} state={r.ReadInt()} path={c.Str(ref r)}");
                    break;
                case (int)OpCode.Create or (int)OpCode.Sync:
                    b.Append(c.Str(ref r));
                    break;
                case (int)OpCode.Create2 or (int)OpCode.CreateContainer or (int)OpCode.CreateTtl:
                    b.Append(c.Str(ref r)).Append(' ').Append(c.Stat(ref r));
                    break;
                case (int)OpCode.Exists or (int)OpCode.SetData or (int)OpCode.SetAcl:
                    b.Append(c.Stat(ref r));
                    break;
                case (int)OpCode.GetData:
                    b.Append(c.Buf(ref r)).Append(' ').Append(c.Stat(ref r));
                    break;
                case (int)OpCode.GetAcl:
                    b.Append(c.Acls(ref r)).Append(' ').Append(c.Stat(ref r));
                    break;
                case (int)OpCode.GetChildren or (int)OpCode.GetEphemerals:
                    b.Append(c.StrList(ref r));
                    break;
                case (int)OpCode.GetChildren2:
                    b.Append(c.StrList(ref r)).Append(' ').Append(c.Stat(ref r));
                    break;
                case (int)OpCode.GetAllChildrenNumber:
                    b.Append(r.ReadInt());
                    break;
                case (int)OpCode.Sasl:
                    b.Append(c.Buf(ref r));
                    break;
                case (int)OpCode.WhoAmI:
                    int n = r.ReadInt();
                    for (int i = 0; i < n; i++)
                    {
                        b.Append(c.Str(ref r)).Append('/').Append(c.Str(ref r)).Append(' ');
                    }
                    break;
                case (int)OpCode.Multi or (int)OpCode.MultiRead:
                    b.Append(c.Multi(ref r));
                    break;
                default:
                    break;
            }
            if (!r.IsAtEnd)
            {
                b.Append($" +{Hex(payload[r.Position..])}");
            }
            return b.ToString();
        }
        catch (Exception e) when (e is JuteFormatException or ArgumentException or OverflowException)
        {
            return $"undecodable {Hex(payload[start..])}";
        }
    }

    /// <summary>Decoders of the reply fields, with the normalizations of <see cref="OutcomeRenderer"/>.</summary>
    private readonly struct BodyReader(long sessionId, string token)
    {
        public string Str(ref JuteReader r)
        {
            var s = r.ReadBufferSpan(out bool isNull);
            return isNull ? "null" : Escape(s, token);
        }

        public string Buf(ref JuteReader r)
        {
            var s = r.ReadBufferSpan(out bool isNull);
            return isNull ? "null" : s.Length > 64 ? $"<{s.Length} bytes>" : Escape(s, token);
        }

        public string StrList(ref JuteReader r)
        {
            int n = r.ReadInt();
            var items = new List<string>();
            for (int i = 0; i < n; i++)
            {
                // Children of "/" include the subtrees of earlier runs, each named by its random token.
                string item = Str(ref r);
                items.Add(OtherRun().IsMatch(item) ? "<an earlier run>" : item);
            }
            // As a set: how many earlier runs left a subtree under "/" is not the input's doing.
            return n < 0 ? "null" : "{" + string.Join(",", items.Distinct().Order(StringComparer.Ordinal)) + "}";
        }

        public string Acls(ref JuteReader r)
        {
            int n = r.ReadInt();
            var items = new List<string>();
            for (int i = 0; i < n; i++)
            {
                items.Add($"{r.ReadInt()}:{Str(ref r)}:{Str(ref r)}");
            }
            return "[" + string.Join(",", items) + "]";
        }

        public string Stat(ref JuteReader r)
        {
            var s = Jute.Data.Stat.Read(ref r);
            string owner = s.EphemeralOwner == 0 ? "0" : s.EphemeralOwner == sessionId ? "self" : "other";
            if (s.Czxid == 0 && s.NumChildren > 0)
            {
                // "/" (or "/zookeeper"), made at start-up: its children, cversion and pzxid count every earlier run's subtrees.
                return $"{{czxid=0 mzxid={Z(s.Mzxid)} v={s.Version} av={s.Aversion} eph={owner} len={s.DataLength} times={s.Ctime}/{s.Mtime} (children: earlier runs)}}";
            }
            return $"{{czxid={Z(s.Czxid)} mzxid={Z(s.Mzxid)} pzxid={Z(s.Pzxid)} v={s.Version} cv={s.Cversion} av={s.Aversion} eph={owner} len={s.DataLength} kids={s.NumChildren} times={(s.Ctime > 0 && s.Mtime > 0 ? "set" : $"{s.Ctime}/{s.Mtime}")}}}";
        }

        public string Multi(ref JuteReader r)
        {
            var b = new StringBuilder("[");
            while (true)
            {
                int type = r.ReadInt();
                bool done = r.ReadBool();
                int err = r.ReadInt();
                if (done)
                {
                    b.Append($"end {type}/{err}]");
                    return b.ToString();
                }
                b.Append($"{type} {err}");
                switch (type)
                {
                    case (int)OpCode.Create:
                        b.Append(' ').Append(Str(ref r));
                        break;
                    case (int)OpCode.Create2 or (int)OpCode.CreateContainer or (int)OpCode.CreateTtl:
                        b.Append(' ').Append(Str(ref r)).Append(' ').Append(Stat(ref r));
                        break;
                    case (int)OpCode.SetData:
                        b.Append(' ').Append(Stat(ref r));
                        break;
                    case (int)OpCode.GetData:
                        b.Append(' ').Append(Buf(ref r)).Append(' ').Append(Stat(ref r));
                        break;
                    case (int)OpCode.GetChildren:
                        b.Append(' ').Append(StrList(ref r));
                        break;
                    case -1:
                        b.Append(" error ").Append(r.ReadInt());
                        break;
                    default:
                        break;
                }
                b.Append("; ");
            }
        }
    }

    /// <summary>Printable ASCII as is, the rest as \xNN (so two servers' different bytes never look alike); the run's token as the placeholder.</summary>
    private static string Escape(ReadOnlySpan<byte> bytes, string token)
    {
        var b = new StringBuilder("\"");
        foreach (byte x in bytes)
        {
            b.Append(x is >= 0x20 and < 0x7f and not (byte)'\\' and not (byte)'"' ? ((char)x).ToString() : $"\\x{x:x2}");
        }
        return b.Append('"').ToString().Replace(token, WireInput.Token, StringComparison.Ordinal);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    // Zxid placeholders, resolved to ranks once the whole outcome is known.
    private static string Z(long z) => z > 0 ? $"⟨{z}⟩" : z.ToString(CultureInfo.InvariantCulture);

    // A read's reply zxid is the server's last applied one, which sessions of earlier inputs expiring in the
    // background may advance: shown as the newest point at or below it.
    private static string ReadZ(long z) => z > 0 ? $"⟨r{z}⟩" : z.ToString(CultureInfo.InvariantCulture);

    private static string Ranks(string line, long[] points)
    {
        var b = new StringBuilder();
        int at = 0;
        while (true)
        {
            int open = line.IndexOf('⟨', at);
            if (open < 0)
            {
                return b.Append(line, at, line.Length - at).ToString();
            }
            int close = line.IndexOf('⟩', open);
            b.Append(line, at, open - at);
            bool read = line[open + 1] == 'r';
            long z = long.Parse(line.AsSpan(open + (read ? 2 : 1), close - open - (read ? 2 : 1)), CultureInfo.InvariantCulture);
            int i = Array.BinarySearch(points, z);
            b.Append(i >= 0 ? "z" + i : ~i == 0 ? "z<0" : read ? $"z{~i - 1}" : $"z{~i - 1}+");
            at = close + 1;
        }
    }
}
