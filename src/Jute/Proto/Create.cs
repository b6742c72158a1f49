using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using AclCodec = ZkGateway.Jute.Data.Acl;

namespace ZkGateway.Jute.Proto;

/// <summary>
/// <c>CreateRequest { ustring path; buffer data; vector&lt;ACL&gt; acl; int flags; }</c>, the body of
/// create (1), create2 (15) and createContainer (19). <see cref="Flags"/> is a <see cref="CreateMode"/>
/// value, not a bit set; an undefined value is kept as-is so the server can answer BadArguments.
/// </summary>
public sealed record CreateRequest(string? Path, byte[]? Data, IReadOnlyList<AclCodec>? Acl, CreateMode Flags)
    : IJuteRecord, IJuteReadable<CreateRequest>
{
    public static CreateRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), AclCodec.ReadList(ref reader), (CreateMode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        AclCodec.WriteList(ref writer, Acl);
        writer.WriteInt((int)Flags);
    }
}

/// <summary>
/// <c>CreateTTLRequest { ustring path; buffer data; vector&lt;ACL&gt; acl; int flags; long ttl; }</c>,
/// the body of createTTL (21). ZooKeeper accepts 0 &lt; ttl ≤ 2^40−1 ms.
/// </summary>
public sealed record CreateTTLRequest(string? Path, byte[]? Data, IReadOnlyList<AclCodec>? Acl, CreateMode Flags, long Ttl)
    : IJuteRecord, IJuteReadable<CreateTTLRequest>
{
    public static CreateTTLRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), AclCodec.ReadList(ref reader), (CreateMode)reader.ReadInt(), reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        AclCodec.WriteList(ref writer, Acl);
        writer.WriteInt((int)Flags);
        writer.WriteLong(Ttl);
    }
}

/// <summary><c>CreateResponse { ustring path; }</c>: the created path, sequence suffix included.</summary>
public sealed record CreateResponse(string? Path) : IJuteRecord, IJuteReadable<CreateResponse>
{
    public static CreateResponse Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary><c>Create2Response { ustring path; Stat stat; }</c>: the reply to create2, createContainer and createTTL.</summary>
public sealed record Create2Response(string? Path, Stat Stat) : IJuteRecord, IJuteReadable<Create2Response>
{
    public static Create2Response Read(ref JuteReader reader) => new(reader.ReadString(), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        Stat.Write(ref writer);
    }
}
