using ZkGateway.Jute.Data;
using AclRecord = ZkGateway.Jute.Data.Acl;

namespace ZkGateway.Jute.Proto;

// Request records of zookeeper.jute (org.apache.zookeeper.proto), fields in schema order.

/// <summary><c>CreateRequest { ustring path; buffer data; vector&lt;ACL&gt; acl; int flags; }</c> (ops 1, 15, 19).</summary>
public sealed record CreateRequest(string Path, byte[]? Data, List<Acl>? Acl, int Flags) : IJuteRecord, IJuteReadable<CreateRequest>
{
    public static CreateRequest Read(ref JuteReader reader) =>
        new(reader.ReadString() ?? "", reader.ReadBuffer(), AclRecord.ReadList(ref reader), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        AclRecord.WriteList(ref writer, Acl);
        writer.WriteInt(Flags);
    }
}

/// <summary><c>CreateTTLRequest { ustring path; buffer data; vector&lt;ACL&gt; acl; int flags; long ttl; }</c> (op 21).</summary>
public sealed record CreateTtlRequest(string Path, byte[]? Data, List<Acl>? Acl, int Flags, long Ttl) : IJuteRecord, IJuteReadable<CreateTtlRequest>
{
    public static CreateTtlRequest Read(ref JuteReader reader) =>
        new(reader.ReadString() ?? "", reader.ReadBuffer(), AclRecord.ReadList(ref reader), reader.ReadInt(), reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        AclRecord.WriteList(ref writer, Acl);
        writer.WriteInt(Flags);
        writer.WriteLong(Ttl);
    }
}

/// <summary><c>DeleteRequest { ustring path; int version; }</c>; also CheckVersionRequest (op 13), same layout.</summary>
public sealed record PathVersionRequest(string Path, int Version) : IJuteRecord, IJuteReadable<PathVersionRequest>
{
    public static PathVersionRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? "", reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

/// <summary><c>ExistsRequest / GetDataRequest / GetChildrenRequest / GetChildren2Request { ustring path; boolean watch; }</c></summary>
public sealed record PathWatchRequest(string Path, bool Watch) : IJuteRecord, IJuteReadable<PathWatchRequest>
{
    public static PathWatchRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? "", reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary>
/// A request that is just <c>{ ustring path; }</c>: GetACLRequest, SyncRequest,
/// GetAllChildrenNumberRequest, GetEphemeralsRequest (prefixPath), and the matching SyncResponse.
/// </summary>
public sealed record PathRequest(string Path) : IJuteRecord, IJuteReadable<PathRequest>
{
    public static PathRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? "");

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary><c>SetDataRequest { ustring path; buffer data; int version; }</c></summary>
public sealed record SetDataRequest(string Path, byte[]? Data, int Version) : IJuteRecord, IJuteReadable<SetDataRequest>
{
    public static SetDataRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? "", reader.ReadBuffer(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt(Version);
    }
}

/// <summary><c>SetACLRequest { ustring path; vector&lt;ACL&gt; acl; int version; }</c></summary>
public sealed record SetAclRequest(string Path, List<Acl>? Acl, int Version) : IJuteRecord, IJuteReadable<SetAclRequest>
{
    public static SetAclRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? "", AclRecord.ReadList(ref reader), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        AclRecord.WriteList(ref writer, Acl);
        writer.WriteInt(Version);
    }
}

/// <summary><c>AuthPacket { int type; ustring scheme; buffer auth; }</c> (op 100, xid -4).</summary>
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

/// <summary>
/// <c>SetWatches { long relativeZxid; vector&lt;ustring&gt; dataWatches, existWatches, childWatches; }</c> (op 101), and
/// <c>SetWatches2</c> (op 105) which adds persistentWatches and persistentRecursiveWatches.
/// </summary>
public sealed record SetWatches(long RelativeZxid, List<string> DataWatches, List<string> ExistWatches, List<string> ChildWatches, List<string>? PersistentWatches = null, List<string>? PersistentRecursiveWatches = null)
    : IJuteRecord
{
    public static SetWatches Read(ref JuteReader reader, bool version2)
    {
        long relativeZxid = reader.ReadLong();
        var data = StringLists.Read(ref reader) ?? [];
        var exist = StringLists.Read(ref reader) ?? [];
        var child = StringLists.Read(ref reader) ?? [];
        if (!version2)
        {
            return new SetWatches(relativeZxid, data, exist, child);
        }
        return new SetWatches(relativeZxid, data, exist, child, StringLists.Read(ref reader) ?? [], StringLists.Read(ref reader) ?? []);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(RelativeZxid);
        StringLists.Write(ref writer, DataWatches);
        StringLists.Write(ref writer, ExistWatches);
        StringLists.Write(ref writer, ChildWatches);
        if (PersistentWatches is not null || PersistentRecursiveWatches is not null)
        {
            StringLists.Write(ref writer, PersistentWatches ?? []);
            StringLists.Write(ref writer, PersistentRecursiveWatches ?? []);
        }
    }
}

/// <summary><c>AddWatchRequest { ustring path; int mode; }</c>; also CheckWatchesRequest/RemoveWatchesRequest <c>{ ustring path; int type; }</c>.</summary>
public sealed record PathIntRequest(string Path, int Value) : IJuteRecord, IJuteReadable<PathIntRequest>
{
    public static PathIntRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? "", reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Value);
    }
}
