using ZkGateway.Jute.Protocol;

namespace ZkGateway.Jute.Proto;

/// <summary>
/// <c>RequestHeader { int xid; int type; }</c>, 8 bytes, in front of every request after the handshake.
/// <code>
/// +-----------+-----------+
/// | int32 xid | int32 type|
/// +-----------+-----------+
/// </code>
/// </summary>
public readonly record struct RequestHeader(int Xid, OpCode Type) : IJuteRecord, IJuteReadable<RequestHeader>
{
    public const int Size = 8;

    public static RequestHeader Read(ref JuteReader reader) => new(reader.ReadInt(), (OpCode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteInt((int)Type);
    }
}

/// <summary>
/// <c>ReplyHeader { int xid; long zxid; int err; }</c>, 16 bytes. The reply body follows only when
/// <see cref="Err"/> is 0 (multi and addWatch aside, whose header err is always 0).
/// <code>
/// +-----------+------------+-----------+
/// | int32 xid | int64 zxid | int32 err |
/// +-----------+------------+-----------+
/// </code>
/// </summary>
public readonly record struct ReplyHeader(int Xid, long Zxid, ErrorCode Err) : IJuteRecord, IJuteReadable<ReplyHeader>
{
    public const int Size = 16;

    public static ReplyHeader Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadLong(), (ErrorCode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteLong(Zxid);
        writer.WriteInt((int)Err);
    }
}

/// <summary>
/// <c>MultiHeader { int type; boolean done; int err; }</c>, 9 bytes, in front of each op of a multi
/// request or response. Requests send err = -1 per op; results carry the op's code. The list ends
/// with <see cref="Terminator"/>.
/// </summary>
public readonly record struct MultiHeader(OpCode Type, bool Done, ErrorCode Err) : IJuteRecord, IJuteReadable<MultiHeader>
{
    public const int Size = 9;

    /// <summary><c>{-1, true, -1}</c>, written after the last op in both directions.</summary>
    public static readonly MultiHeader Terminator = new(OpCode.Error, true, (ErrorCode)(-1));

    public static MultiHeader Read(ref JuteReader reader) =>
        new((OpCode)reader.ReadInt(), reader.ReadBool(), (ErrorCode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt((int)Type);
        writer.WriteBool(Done);
        writer.WriteInt((int)Err);
    }
}

/// <summary>
/// <c>ErrorResponse { int err; }</c>: the body of a failed multi op, and the 4-byte body ZooKeeper
/// sends (with err 0) in reply to addWatch, which the Java client insists on decoding.
/// </summary>
public readonly record struct ErrorResponse(ErrorCode Err) : IJuteRecord, IJuteReadable<ErrorResponse>
{
    public const int Size = 4;

    public static ErrorResponse Read(ref JuteReader reader) => new((ErrorCode)reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt((int)Err);
}

/// <summary>
/// <c>WatcherEvent { int type; int state; ustring path; }</c>: the body of a notification
/// (xid -1). The server always sends state 3 (SyncConnected).
/// </summary>
public sealed record WatcherEvent(EventType Type, KeeperState State, string? Path) : IJuteRecord, IJuteReadable<WatcherEvent>
{
    public static WatcherEvent Read(ref JuteReader reader) =>
        new((EventType)reader.ReadInt(), (KeeperState)reader.ReadInt(), reader.ReadString());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt((int)Type);
        writer.WriteInt((int)State);
        writer.WriteString(Path);
    }
}
