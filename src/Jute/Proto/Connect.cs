namespace ZkGateway.Jute.Proto;

/// <summary>
/// <c>ConnectRequest { int protocolVersion; long lastZxidSeen; int timeOut; long sessionId; buffer passwd; boolean readOnly; }</c>
/// <para>
/// readOnly is optional on the wire: clients from before ZooKeeper 3.4, go-zookeeper and
/// node-zookeeper-client stop after passwd (44 bytes, not 45). <see cref="ReadOnly"/> is null then, and
/// the server must leave readOnly out of its reply too (ZooKeeper's ProtocolManager; an old C client
/// answers the extra byte with a reset).
/// </para>
/// </summary>
public sealed record ConnectRequest(int ProtocolVersion, long LastZxidSeen, int TimeOut, long SessionId, byte[]? Passwd, bool? ReadOnly)
    : IJuteRecord, IJuteReadable<ConnectRequest>
{
    public static ConnectRequest Read(ref JuteReader reader)
    {
        int protocolVersion = reader.ReadInt();
        long lastZxidSeen = reader.ReadLong();
        int timeOut = reader.ReadInt();
        long sessionId = reader.ReadLong();
        byte[]? passwd = reader.ReadBuffer();
        bool? readOnly = reader.IsAtEnd ? null : reader.ReadBool();
        return new ConnectRequest(protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteLong(LastZxidSeen);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (ReadOnly is { } readOnly)
        {
            writer.WriteBool(readOnly);
        }
    }
}

/// <summary>
/// <c>ConnectResponse { int protocolVersion; int timeOut; long sessionId; buffer passwd; boolean readOnly; }</c>
/// readOnly is written only when <see cref="ReadOnly"/> is set, mirroring the client's request.
/// </summary>
public sealed record ConnectResponse(int ProtocolVersion, int TimeOut, long SessionId, byte[]? Passwd, bool? ReadOnly)
    : IJuteRecord, IJuteReadable<ConnectResponse>
{
    public static ConnectResponse Read(ref JuteReader reader)
    {
        int protocolVersion = reader.ReadInt();
        int timeOut = reader.ReadInt();
        long sessionId = reader.ReadLong();
        byte[]? passwd = reader.ReadBuffer();
        bool? readOnly = reader.IsAtEnd ? null : reader.ReadBool();
        return new ConnectResponse(protocolVersion, timeOut, sessionId, passwd, readOnly);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (ReadOnly is { } readOnly)
        {
            writer.WriteBool(readOnly);
        }
    }
}
