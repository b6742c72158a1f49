namespace ZkGateway.Jute.Proto;

/// <summary>
/// <c>ConnectRequest</c>, the first frame of a connection, sent without a RequestHeader:
/// <code>
/// int protocolVersion | long lastZxidSeen | int timeOut | long sessionId | buffer passwd | [boolean readOnly]
///        4                     8                4               8           4 + 16             1
/// </code>
/// 45 bytes with readOnly (Java ≥ 3.4, C ≥ 3.4, kazoo), 44 without (ZK ≤ 3.3, go-zookeeper,
/// node-zookeeper-client). <see cref="ReadOnly"/> is null when the field was absent, so the server can
/// mirror the client's form in its <see cref="ConnectResponse"/> (ZooKeeper's
/// <c>compat/ProtocolManager</c>, ZOOKEEPER-4492).
/// </summary>
public sealed record ConnectRequest(
    int ProtocolVersion,
    long LastZxidSeen,
    int TimeOut,
    long SessionId,
    byte[]? Passwd,
    bool? ReadOnly) : IJuteRecord, IJuteReadable<ConnectRequest>
{
    /// <summary>Body size with a 16-byte password and the readOnly byte.</summary>
    public const int SizeWithReadOnly = 45;

    /// <summary>True when the client sent the trailing readOnly byte.</summary>
    public bool HasReadOnly => ReadOnly.HasValue;

    public static ConnectRequest Read(ref JuteReader reader)
    {
        int protocolVersion = reader.ReadInt();
        long lastZxidSeen = reader.ReadLong();
        int timeOut = reader.ReadInt();
        long sessionId = reader.ReadLong();
        byte[]? passwd = reader.ReadBuffer();
        // Old clients end the frame here; ZooKeeper tries the read and treats EOF as "old client".
        bool? readOnly = reader.IsAtEnd ? null : reader.ReadBool();
        return new(protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteLong(LastZxidSeen);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (ReadOnly is bool readOnly)
        {
            writer.WriteBool(readOnly);
        }
    }
}

/// <summary>
/// <c>ConnectResponse</c>, the first server frame, without a ReplyHeader:
/// <code>
/// int protocolVersion | int timeOut | long sessionId | buffer passwd | [boolean readOnly]
/// </code>
/// 37 bytes, or 36 when <see cref="ReadOnly"/> is null: an old client (44-byte request) must not be
/// sent the extra byte; the old C client answers it with a TCP RST. A rejected resume is
/// <c>{0, 0, 0, 16 zero bytes, false}</c>.
/// </summary>
public sealed record ConnectResponse(
    int ProtocolVersion,
    int TimeOut,
    long SessionId,
    byte[]? Passwd,
    bool? ReadOnly) : IJuteRecord, IJuteReadable<ConnectResponse>
{
    public bool HasReadOnly => ReadOnly.HasValue;

    public static ConnectResponse Read(ref JuteReader reader)
    {
        int protocolVersion = reader.ReadInt();
        int timeOut = reader.ReadInt();
        long sessionId = reader.ReadLong();
        byte[]? passwd = reader.ReadBuffer();
        bool? readOnly = reader.IsAtEnd ? null : reader.ReadBool();
        return new(protocolVersion, timeOut, sessionId, passwd, readOnly);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (ReadOnly is bool readOnly)
        {
            writer.WriteBool(readOnly);
        }
    }
}
