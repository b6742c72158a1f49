using ZkGateway.Jute.Protocol;

namespace ZkGateway.Jute.Data;

/// <summary><c>org.apache.zookeeper.data.ACL { int perms; Id id; }</c></summary>
public readonly record struct Acl(Perms Perms, Id Id) : IJuteRecord, IJuteReadable<Acl>
{
    /// <summary>ZooDefs.Ids.OPEN_ACL_UNSAFE.</summary>
    public static readonly IReadOnlyList<Acl> OpenAclUnsafe = [new(Perms.All, Id.Anyone)];

    /// <summary>ZooDefs.Ids.READ_ACL_UNSAFE.</summary>
    public static readonly IReadOnlyList<Acl> ReadAclUnsafe = [new(Perms.Read, Id.Anyone)];

    /// <summary>Smallest encoding: perms + two empty strings.</summary>
    public const int MinSize = 12;

    public static Acl Read(ref JuteReader reader) => new((Perms)reader.ReadInt(), Id.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt((int)Perms);
        Id.Write(ref writer);
    }

    public static List<Acl>? ReadList(ref JuteReader reader) => Proto.JuteLists.ReadList<Acl>(ref reader, MinSize);

    public static void WriteList(ref JuteWriter writer, IReadOnlyList<Acl>? acls) => Proto.JuteLists.WriteList(ref writer, acls);
}
