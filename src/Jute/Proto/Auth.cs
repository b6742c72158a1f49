namespace ZkGateway.Jute.Proto;

/// <summary>
/// <c>AuthPacket { int type; ustring scheme; buffer auth; }</c> (op 100, xid -4). type is always 0;
/// for digest the auth bytes are <c>user:password</c>.
/// </summary>
public sealed record AuthPacket(int Type, string? Scheme, byte[]? Auth) : IJuteRecord, IJuteReadable<AuthPacket>
{
    public static AuthPacket Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadString(), reader.ReadBuffer());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteString(Scheme);
        writer.WriteBuffer(Auth);
    }
}

/// <summary><c>GetSASLRequest { buffer token; }</c>: the request body of op 102 as the Java client writes it.</summary>
public sealed record GetSASLRequest(byte[]? Token) : IJuteRecord, IJuteReadable<GetSASLRequest>
{
    public static GetSASLRequest Read(ref JuteReader reader) => new(reader.ReadBuffer());

    public void Write(ref JuteWriter writer) => writer.WriteBuffer(Token);
}

/// <summary><c>SetSASLRequest { buffer token; }</c>: same layout as <see cref="GetSASLRequest"/>.</summary>
public sealed record SetSASLRequest(byte[]? Token) : IJuteRecord, IJuteReadable<SetSASLRequest>
{
    public static SetSASLRequest Read(ref JuteReader reader) => new(reader.ReadBuffer());

    public void Write(ref JuteWriter writer) => writer.WriteBuffer(Token);
}

/// <summary><c>SetSASLResponse { buffer token; }</c>: the server's SASL challenge.</summary>
public sealed record SetSASLResponse(byte[]? Token) : IJuteRecord, IJuteReadable<SetSASLResponse>
{
    public static SetSASLResponse Read(ref JuteReader reader) => new(reader.ReadBuffer());

    public void Write(ref JuteWriter writer) => writer.WriteBuffer(Token);
}

/// <summary><c>ClientInfo { ustring authScheme; ustring user; }</c>, e.g. <c>ip/127.0.0.1</c> or <c>digest/user</c>.</summary>
public sealed record ClientInfo(string? AuthScheme, string? User) : IJuteRecord, IJuteReadable<ClientInfo>
{
    /// <summary>Two empty strings.</summary>
    public const int MinSize = 8;

    public static ClientInfo Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadString());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(AuthScheme);
        writer.WriteString(User);
    }
}

/// <summary><c>WhoAmIResponse { vector&lt;ClientInfo&gt; clientInfo; }</c>, the reply to op 107 (whose request has no body).</summary>
public sealed record WhoAmIResponse(IReadOnlyList<ClientInfo>? ClientInfo) : IJuteRecord, IJuteReadable<WhoAmIResponse>
{
    public static WhoAmIResponse Read(ref JuteReader reader) => new(JuteLists.ReadList<Proto.ClientInfo>(ref reader, Proto.ClientInfo.MinSize));

    public void Write(ref JuteWriter writer) => JuteLists.WriteList(ref writer, ClientInfo);
}

/// <summary>
/// <c>ReconfigRequest { ustring joiningServers; ustring leavingServers; ustring newMembers; long curConfigId; }</c>
/// (op 16). The reply is a <see cref="GetDataResponse"/>; a standalone server answers Unimplemented or
/// ReconfigDisabled.
/// </summary>
public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId)
    : IJuteRecord, IJuteReadable<ReconfigRequest>
{
    public static ReconfigRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(JoiningServers);
        writer.WriteString(LeavingServers);
        writer.WriteString(NewMembers);
        writer.WriteLong(CurConfigId);
    }
}
