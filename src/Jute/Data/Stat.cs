namespace ZkGateway.Jute.Data;

/// <summary>
/// <c>org.apache.zookeeper.data.Stat</c>, 68 bytes on the wire:
/// <code>
/// long czxid; long mzxid; long ctime; long mtime; int version; int cversion; int aversion;
/// long ephemeralOwner; int dataLength; int numChildren; long pzxid;
/// </code>
/// Times are milliseconds since the Unix epoch.
/// </summary>
public readonly record struct Stat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid) : IJuteRecord, IJuteReadable<Stat>
{
    public const int Size = 68;

    public static Stat Read(ref JuteReader reader) => new(
        reader.ReadLong(), reader.ReadLong(), reader.ReadLong(), reader.ReadLong(),
        reader.ReadInt(), reader.ReadInt(), reader.ReadInt(),
        reader.ReadLong(), reader.ReadInt(), reader.ReadInt(), reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(Czxid);
        writer.WriteLong(Mzxid);
        writer.WriteLong(Ctime);
        writer.WriteLong(Mtime);
        writer.WriteInt(Version);
        writer.WriteInt(Cversion);
        writer.WriteInt(Aversion);
        writer.WriteLong(EphemeralOwner);
        writer.WriteInt(DataLength);
        writer.WriteInt(NumChildren);
        writer.WriteLong(Pzxid);
    }
}
