using ZkGateway.Jute.Data;
using AclCodec = ZkGateway.Jute.Data.Acl;

namespace ZkGateway.Jute.Proto;

// Requests and replies of the single-node operations. Version fields: -1 means "any version".

/// <summary><c>DeleteRequest { ustring path; int version; }</c> (op 2; deleteContainer 20 sends only a path).</summary>
public sealed record DeleteRequest(string? Path, int Version) : IJuteRecord, IJuteReadable<DeleteRequest>
{
    public static DeleteRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

/// <summary><c>ExistsRequest { ustring path; boolean watch; }</c> (op 3). The watch is set even when the node is missing.</summary>
public sealed record ExistsRequest(string? Path, bool Watch) : IJuteRecord, IJuteReadable<ExistsRequest>
{
    public static ExistsRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary><c>ExistsResponse { Stat stat; }</c>.</summary>
public sealed record ExistsResponse(Stat Stat) : IJuteRecord, IJuteReadable<ExistsResponse>
{
    public static ExistsResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(ref JuteWriter writer) => Stat.Write(ref writer);
}

/// <summary><c>GetDataRequest { ustring path; boolean watch; }</c> (op 4, also inside multiRead).</summary>
public sealed record GetDataRequest(string? Path, bool Watch) : IJuteRecord, IJuteReadable<GetDataRequest>
{
    public static GetDataRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary><c>GetDataResponse { buffer data; Stat stat; }</c> (also the reply to reconfig).</summary>
public sealed record GetDataResponse(byte[]? Data, Stat Stat) : IJuteRecord, IJuteReadable<GetDataResponse>
{
    public static GetDataResponse Read(ref JuteReader reader) => new(reader.ReadBuffer(), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteBuffer(Data);
        Stat.Write(ref writer);
    }
}

/// <summary><c>SetDataRequest { ustring path; buffer data; int version; }</c> (op 5).</summary>
public sealed record SetDataRequest(string? Path, byte[]? Data, int Version) : IJuteRecord, IJuteReadable<SetDataRequest>
{
    public static SetDataRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBuffer(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt(Version);
    }
}

/// <summary><c>SetDataResponse { Stat stat; }</c>.</summary>
public sealed record SetDataResponse(Stat Stat) : IJuteRecord, IJuteReadable<SetDataResponse>
{
    public static SetDataResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(ref JuteWriter writer) => Stat.Write(ref writer);
}

/// <summary><c>GetACLRequest { ustring path; }</c> (op 6).</summary>
public sealed record GetACLRequest(string? Path) : IJuteRecord, IJuteReadable<GetACLRequest>
{
    public static GetACLRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary><c>GetACLResponse { vector&lt;ACL&gt; acl; Stat stat; }</c>.</summary>
public sealed record GetACLResponse(IReadOnlyList<AclCodec>? Acl, Stat Stat) : IJuteRecord, IJuteReadable<GetACLResponse>
{
    public static GetACLResponse Read(ref JuteReader reader) => new(AclCodec.ReadList(ref reader), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        AclCodec.WriteList(ref writer, Acl);
        Stat.Write(ref writer);
    }
}

/// <summary><c>SetACLRequest { ustring path; vector&lt;ACL&gt; acl; int version; }</c> (op 7); version is checked against aversion.</summary>
public sealed record SetACLRequest(string? Path, IReadOnlyList<AclCodec>? Acl, int Version) : IJuteRecord, IJuteReadable<SetACLRequest>
{
    public static SetACLRequest Read(ref JuteReader reader) => new(reader.ReadString(), AclCodec.ReadList(ref reader), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        AclCodec.WriteList(ref writer, Acl);
        writer.WriteInt(Version);
    }
}

/// <summary><c>SetACLResponse { Stat stat; }</c>.</summary>
public sealed record SetACLResponse(Stat Stat) : IJuteRecord, IJuteReadable<SetACLResponse>
{
    public static SetACLResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(ref JuteWriter writer) => Stat.Write(ref writer);
}

/// <summary><c>GetChildrenRequest { ustring path; boolean watch; }</c> (op 8, also inside multiRead).</summary>
public sealed record GetChildrenRequest(string? Path, bool Watch) : IJuteRecord, IJuteReadable<GetChildrenRequest>
{
    public static GetChildrenRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary><c>GetChildrenResponse { vector&lt;ustring&gt; children; }</c>: child names, in no particular order.</summary>
public sealed record GetChildrenResponse(IReadOnlyList<string>? Children) : IJuteRecord, IJuteReadable<GetChildrenResponse>
{
    public static GetChildrenResponse Read(ref JuteReader reader) => new(JuteLists.ReadStringList(ref reader));

    public void Write(ref JuteWriter writer) => JuteLists.WriteStringList(ref writer, Children);
}

/// <summary><c>GetChildren2Request { ustring path; boolean watch; }</c> (op 12).</summary>
public sealed record GetChildren2Request(string? Path, bool Watch) : IJuteRecord, IJuteReadable<GetChildren2Request>
{
    public static GetChildren2Request Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary><c>GetChildren2Response { vector&lt;ustring&gt; children; Stat stat; }</c>: the stat is the parent's.</summary>
public sealed record GetChildren2Response(IReadOnlyList<string>? Children, Stat Stat) : IJuteRecord, IJuteReadable<GetChildren2Response>
{
    public static GetChildren2Response Read(ref JuteReader reader) => new(JuteLists.ReadStringList(ref reader), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        JuteLists.WriteStringList(ref writer, Children);
        Stat.Write(ref writer);
    }
}

/// <summary><c>CheckVersionRequest { ustring path; int version; }</c> (op 13, valid only inside multi).</summary>
public sealed record CheckVersionRequest(string? Path, int Version) : IJuteRecord, IJuteReadable<CheckVersionRequest>
{
    public static CheckVersionRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

/// <summary><c>SyncRequest { ustring path; }</c> (op 9).</summary>
public sealed record SyncRequest(string? Path) : IJuteRecord, IJuteReadable<SyncRequest>
{
    public static SyncRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary><c>SyncResponse { ustring path; }</c>: echoes the request path.</summary>
public sealed record SyncResponse(string? Path) : IJuteRecord, IJuteReadable<SyncResponse>
{
    public static SyncResponse Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary><c>GetAllChildrenNumberRequest { ustring path; }</c> (op 104).</summary>
public sealed record GetAllChildrenNumberRequest(string? Path) : IJuteRecord, IJuteReadable<GetAllChildrenNumberRequest>
{
    public static GetAllChildrenNumberRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary><c>GetAllChildrenNumberResponse { int totalNumber; }</c>: every descendant, not only direct children.</summary>
public sealed record GetAllChildrenNumberResponse(int TotalNumber) : IJuteRecord, IJuteReadable<GetAllChildrenNumberResponse>
{
    public static GetAllChildrenNumberResponse Read(ref JuteReader reader) => new(reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt(TotalNumber);
}

/// <summary><c>GetEphemeralsRequest { ustring prefixPath; }</c> (op 103); a string prefix, "" or "/" = all.</summary>
public sealed record GetEphemeralsRequest(string? PrefixPath) : IJuteRecord, IJuteReadable<GetEphemeralsRequest>
{
    public static GetEphemeralsRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(PrefixPath);
}

/// <summary><c>GetEphemeralsResponse { vector&lt;ustring&gt; ephemerals; }</c>: full paths of this session's ephemerals.</summary>
public sealed record GetEphemeralsResponse(IReadOnlyList<string>? Ephemerals) : IJuteRecord, IJuteReadable<GetEphemeralsResponse>
{
    public static GetEphemeralsResponse Read(ref JuteReader reader) => new(JuteLists.ReadStringList(ref reader));

    public void Write(ref JuteWriter writer) => JuteLists.WriteStringList(ref writer, Ephemerals);
}
