using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Compat.Differential;

// The operations a differential sequence is made of. Paths are written with the placeholder "/T":
// the executor replaces a leading "/T" (followed by "/" or the end) by the run's fresh subtree, and sends
// any other path literally (so curated cases can use "/", "/zookeeper" or malformed paths).
// Every record prints itself as the C# that constructs it (ToCode), so a failing sequence can be
// pasted into CuratedCases as is.

/// <summary>The few ACLs the generator uses (identities: digest alice:pw and bob:pw).</summary>
public enum AclSet
{
    Open,
    ReadOnly,
    CreatorAll,
    AliceAll,
    BobReadAdmin,
    AnyoneCreateRead,
    AnyoneReadAliceAll,
    Empty,
    BadScheme,
}

public static class Acls
{
    public const string AlicePassword = "alice:pw";
    public const string BobPassword = "bob:pw";

    public static string Digest(string userPassword)
    {
        string user = userPassword[..userPassword.IndexOf(':', StringComparison.Ordinal)];
        return user + ":" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(userPassword)));
    }

    public static IReadOnlyList<Acl> Of(AclSet set) => set switch
    {
        AclSet.Open => Acl.OpenAclUnsafe,
        AclSet.ReadOnly => Acl.ReadAclUnsafe,
        AclSet.CreatorAll => [new(Perms.All, new Id("auth", ""))],
        AclSet.AliceAll => [new(Perms.All, new Id("digest", Digest(AlicePassword)))],
        AclSet.BobReadAdmin => [new(Perms.Read | Perms.Admin, new Id("digest", Digest(BobPassword)))],
        AclSet.AnyoneCreateRead => [new(Perms.Create | Perms.Read, Id.Anyone)],
        AclSet.AnyoneReadAliceAll => [new(Perms.Read, Id.Anyone), new(Perms.All, new Id("digest", Digest(AlicePassword)))],
        AclSet.Empty => [],
        AclSet.BadScheme => [new(Perms.All, new Id("nosuchscheme", "x"))],
        _ => throw new ArgumentOutOfRangeException(nameof(set)),
    };
}

internal static class Code
{
    public static string Q(string? s)
    {
        if (s is null)
        {
            return "null";
        }
        var b = new StringBuilder("\"");
        foreach (char c in s)
        {
            b.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when c < ' ' || c > '~' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return b.Append('"').ToString();
    }

    public static string B(bool b) => b ? "true" : "false";

    public static string E<T>(T e) where T : struct, Enum => typeof(T).Name + "." + e;
}

/// <summary>One step of a sequence, sent by session <c>S</c> (0-based; the transcript calls it s0, s1, ...).</summary>
public abstract record DiffOp(int S)
{
    /// <summary>True for ops that go through ZooKeeper's write path (their reply zxid is a transaction of their own).</summary>
    public virtual bool IsWrite => false;

    public abstract string ToCode();

    public sealed override string ToString() => ToCode();
}

public sealed record Create(int S, string Path, string? Data = "", AclSet Acl = AclSet.Open, CreateMode Mode = CreateMode.Persistent, bool Two = false) : DiffOp(S)
{
    public override bool IsWrite => true;

    public override string ToCode() => $"new Create({S}, {Code.Q(Path)}, {Code.Q(Data)}, {Code.E(Acl)}, {Code.E(Mode)}, {Code.B(Two)})";
}

public sealed record Delete(int S, string Path, int Version = -1) : DiffOp(S)
{
    public override bool IsWrite => true;

    public override string ToCode() => $"new Delete({S}, {Code.Q(Path)}, {Version})";
}

public sealed record SetData(int S, string Path, string? Data, int Version = -1) : DiffOp(S)
{
    public override bool IsWrite => true;

    public override string ToCode() => $"new SetData({S}, {Code.Q(Path)}, {Code.Q(Data)}, {Version})";
}

public sealed record Exists(int S, string Path, bool Watch = false) : DiffOp(S)
{
    public override string ToCode() => $"new Exists({S}, {Code.Q(Path)}, {Code.B(Watch)})";
}

public sealed record GetData(int S, string Path, bool Watch = false) : DiffOp(S)
{
    public override string ToCode() => $"new GetData({S}, {Code.Q(Path)}, {Code.B(Watch)})";
}

/// <summary>getChildren (op 8), or getChildren2 (op 12) when <c>Two</c>.</summary>
public sealed record GetChildren(int S, string Path, bool Watch = false, bool Two = false) : DiffOp(S)
{
    public override string ToCode() => $"new GetChildren({S}, {Code.Q(Path)}, {Code.B(Watch)}, {Code.B(Two)})";
}

public sealed record GetAcl(int S, string Path) : DiffOp(S)
{
    public override string ToCode() => $"new GetAcl({S}, {Code.Q(Path)})";
}

public sealed record SetAcl(int S, string Path, AclSet Acl, int Version = -1) : DiffOp(S)
{
    public override bool IsWrite => true;

    public override string ToCode() => $"new SetAcl({S}, {Code.Q(Path)}, {Code.E(Acl)}, {Version})";
}

public sealed record Sync(int S, string Path) : DiffOp(S)
{
    public override string ToCode() => $"new Sync({S}, {Code.Q(Path)})";
}

/// <summary>addauth; the scheme is "digest" in generated sequences.</summary>
public sealed record AddAuth(int S, string Scheme, string Credential) : DiffOp(S)
{
    public override string ToCode() => $"new AddAuth({S}, {Code.Q(Scheme)}, {Code.Q(Credential)})";
}

public sealed record AddWatch(int S, string Path, bool Recursive) : DiffOp(S)
{
    public override string ToCode() => $"new AddWatch({S}, {Code.Q(Path)}, {Code.B(Recursive)})";
}

public sealed record CheckWatches(int S, string Path, WatcherType Type) : DiffOp(S)
{
    public override string ToCode() => $"new CheckWatches({S}, {Code.Q(Path)}, {Code.E(Type)})";
}

public sealed record RemoveWatches(int S, string Path, WatcherType Type) : DiffOp(S)
{
    public override string ToCode() => $"new RemoveWatches({S}, {Code.Q(Path)}, {Code.E(Type)})";
}

public sealed record AllChildrenNumber(int S, string Path) : DiffOp(S)
{
    public override string ToCode() => $"new AllChildrenNumber({S}, {Code.Q(Path)})";
}

public sealed record GetEphemerals(int S, string Prefix) : DiffOp(S)
{
    public override string ToCode() => $"new GetEphemerals({S}, {Code.Q(Prefix)})";
}

public sealed record WhoAmI(int S) : DiffOp(S)
{
    public override string ToCode() => $"new WhoAmI({S})";
}

public sealed record CloseSession(int S) : DiffOp(S)
{
    public override bool IsWrite => true;

    public override string ToCode() => $"new CloseSession({S})";
}

/// <summary>A request sent as given: an op code and a raw body (for malformed or unusual requests).</summary>
public sealed record RawOp(int S, int OpCode, byte[] Body) : DiffOp(S)
{
    public override string ToCode() => $"new RawOp({S}, {OpCode}, Convert.FromHexString(\"{Convert.ToHexString(Body)}\"))";
}

public sealed record Multi(int S, IReadOnlyList<MultiSub> Ops) : DiffOp(S)
{
    public override bool IsWrite => true;

    public override string ToCode() => $"new Multi({S}, [{string.Join(", ", Ops.Select(o => o.ToCode()))}])";
}

public sealed record MultiRead(int S, IReadOnlyList<ReadSub> Ops) : DiffOp(S)
{
    public override string ToCode() => $"new MultiRead({S}, [{string.Join(", ", Ops.Select(o => o.ToCode()))}])";
}

/// <summary>
/// Several requests of one session sent back to back, without waiting for replies (pipelined), then the replies
/// awaited in order. ZooKeeper answers one session's requests in order, and a watch event before any reply
/// that shows its change, so the transcript stays deterministic. The sub-ops' own session numbers are ignored.
/// </summary>
public sealed record Pipeline(int S, IReadOnlyList<DiffOp> Ops) : DiffOp(S)
{
    public override string ToCode() => $"new Pipeline({S}, [{string.Join(", ", Ops.Select(o => o.ToCode()))}])";
}

/// <summary>An op inside a multi.</summary>
public abstract record MultiSub
{
    public abstract string ToCode();

    public sealed override string ToString() => ToCode();
}

public sealed record MCreate(string Path, string? Data = "", AclSet Acl = AclSet.Open, CreateMode Mode = CreateMode.Persistent, bool Two = false) : MultiSub
{
    public override string ToCode() => $"new MCreate({Code.Q(Path)}, {Code.Q(Data)}, {Code.E(Acl)}, {Code.E(Mode)}, {Code.B(Two)})";
}

public sealed record MDelete(string Path, int Version = -1) : MultiSub
{
    public override string ToCode() => $"new MDelete({Code.Q(Path)}, {Version})";
}

public sealed record MSetData(string Path, string? Data, int Version = -1) : MultiSub
{
    public override string ToCode() => $"new MSetData({Code.Q(Path)}, {Code.Q(Data)}, {Version})";
}

public sealed record MCheck(string Path, int Version) : MultiSub
{
    public override string ToCode() => $"new MCheck({Code.Q(Path)}, {Version})";
}

/// <summary>An op inside a multiRead: getData, or getChildren when <c>Children</c>.</summary>
public sealed record ReadSub(string Path, bool Children) : MultiSub
{
    public override string ToCode() => $"new ReadSub({Code.Q(Path)}, {Code.B(Children)})";
}

/// <summary>A differential test input: how many sessions connect (2–3), and the steps in order.</summary>
public sealed record Sequence(int Sessions, IReadOnlyList<DiffOp> Ops)
{
    public string ToCode()
    {
        var b = new StringBuilder();
        b.Append("new Sequence(").Append(Sessions).AppendLine(", [");
        foreach (var op in Ops)
        {
            b.Append("    ").Append(op.ToCode()).AppendLine(",");
        }
        return b.Append("])").ToString();
    }

    public override string ToString() => ToCode();
}
