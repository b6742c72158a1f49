namespace ZkGateway.Jute.Proto;

/// <summary><c>RequestHeader { int xid; int type; }</c></summary>
public readonly record struct RequestHeader(int Xid, int Type) : IJuteRecord, IJuteReadable<RequestHeader>
{
    public static RequestHeader Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteInt(Type);
    }
}

/// <summary><c>ReplyHeader { int xid; long zxid; int err; }</c> The body follows only when err is 0 (multi and addWatch aside).</summary>
public readonly record struct ReplyHeader(int Xid, long Zxid, int Err) : IJuteRecord, IJuteReadable<ReplyHeader>
{
    public static ReplyHeader Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadLong(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteLong(Zxid);
        writer.WriteInt(Err);
    }
}

/// <summary><c>WatcherEvent { int type; int state; ustring path; }</c>, sent with xid -1.</summary>
public sealed record WatcherEvent(int Type, int State, string? Path) : IJuteRecord, IJuteReadable<WatcherEvent>
{
    public static WatcherEvent Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadInt(), reader.ReadString());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteInt(State);
        writer.WriteString(Path);
    }
}

/// <summary><c>ErrorResponse { int err; }</c>: a failed multi op's body, and addWatch's (required) reply body.</summary>
public sealed record ErrorResponse(int Err) : IJuteRecord, IJuteReadable<ErrorResponse>
{
    public static readonly ErrorResponse Ok = new(0);

    public static ErrorResponse Read(ref JuteReader reader) => new(reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt(Err);
}
