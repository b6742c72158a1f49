using ZkGateway.Jute.Data;
using AclRecord = ZkGateway.Jute.Data.Acl;

namespace ZkGateway.Jute.Proto;

// Response records of zookeeper.jute, fields in schema order. Written only when err is 0.

/// <summary><c>CreateResponse { ustring path; }</c>; SyncResponse has the same layout.</summary>
public sealed record CreateResponse(string Path) : IJuteRecord, IJuteReadable<CreateResponse>
{
    public static CreateResponse Read(ref JuteReader reader) => new(reader.ReadString() ?? "");

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary><c>Create2Response { ustring path; Stat stat; }</c></summary>
public sealed record Create2Response(string Path, Stat Stat) : IJuteRecord, IJuteReadable<Create2Response>
{
    public static Create2Response Read(ref JuteReader reader) => new(reader.ReadString() ?? "", Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        Stat.Write(ref writer);
    }
}

/// <summary><c>ExistsResponse / SetDataResponse / SetACLResponse { Stat stat; }</c></summary>
public sealed record StatResponse(Stat Stat) : IJuteRecord, IJuteReadable<StatResponse>
{
    public static StatResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(ref JuteWriter writer) => Stat.Write(ref writer);
}

/// <summary><c>GetDataResponse { buffer data; Stat stat; }</c></summary>
public sealed record GetDataResponse(byte[]? Data, Stat Stat) : IJuteRecord, IJuteReadable<GetDataResponse>
{
    public static GetDataResponse Read(ref JuteReader reader) => new(reader.ReadBuffer(), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteBuffer(Data);
        Stat.Write(ref writer);
    }
}

/// <summary><c>GetACLResponse { vector&lt;ACL&gt; acl; Stat stat; }</c></summary>
public sealed record GetAclResponse(IReadOnlyList<Acl> Acl, Stat Stat) : IJuteRecord, IJuteReadable<GetAclResponse>
{
    public static GetAclResponse Read(ref JuteReader reader) => new(AclRecord.ReadList(ref reader) ?? [], Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        AclRecord.WriteList(ref writer, Acl);
        Stat.Write(ref writer);
    }
}

/// <summary><c>GetChildrenResponse { vector&lt;ustring&gt; children; }</c>; GetEphemeralsResponse has the same layout.</summary>
public sealed record GetChildrenResponse(IReadOnlyList<string> Children) : IJuteRecord, IJuteReadable<GetChildrenResponse>
{
    public static GetChildrenResponse Read(ref JuteReader reader) => new(StringLists.Read(ref reader) ?? []);

    public void Write(ref JuteWriter writer) => StringLists.Write(ref writer, Children);
}

/// <summary><c>GetChildren2Response { vector&lt;ustring&gt; children; Stat stat; }</c></summary>
public sealed record GetChildren2Response(IReadOnlyList<string> Children, Stat Stat) : IJuteRecord, IJuteReadable<GetChildren2Response>
{
    public static GetChildren2Response Read(ref JuteReader reader) => new(StringLists.Read(ref reader) ?? [], Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        StringLists.Write(ref writer, Children);
        Stat.Write(ref writer);
    }
}

/// <summary><c>GetAllChildrenNumberResponse { int totalNumber; }</c></summary>
public sealed record GetAllChildrenNumberResponse(int TotalNumber) : IJuteRecord, IJuteReadable<GetAllChildrenNumberResponse>
{
    public static GetAllChildrenNumberResponse Read(ref JuteReader reader) => new(reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt(TotalNumber);
}
