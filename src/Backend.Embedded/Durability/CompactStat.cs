using ZkGateway.Jute;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// A Stat in about a fifth of Jute's 68 bytes, for the log and snapshots: zxids equal to the record's
/// own zxid are a flag, mtime is a difference from ctime, and the rest are variable-length integers
/// (LEB128, zig-zag for the signed ones), since versions, lengths and child counts are small. What a
/// create writes is mostly its Stat, twice (the node's and its parent's), so this is the log's size.
/// </summary>
internal static class CompactStat
{
    private const byte CzxidIsZxid = 1, MzxidIsZxid = 2, PzxidIsZxid = 4, MtimeIsCtime = 8;

    public static void Write(ref JuteWriter writer, in Stat stat, long zxid)
    {
        byte flags = (byte)((stat.Czxid == zxid ? CzxidIsZxid : 0) | (stat.Mzxid == zxid ? MzxidIsZxid : 0) |
            (stat.Pzxid == zxid ? PzxidIsZxid : 0) | (stat.Mtime == stat.Ctime ? MtimeIsCtime : 0));
        writer.WriteByte(flags);
        if ((flags & CzxidIsZxid) == 0)
        {
            WriteSigned(ref writer, stat.Czxid);
        }
        if ((flags & MzxidIsZxid) == 0)
        {
            WriteSigned(ref writer, stat.Mzxid);
        }
        if ((flags & PzxidIsZxid) == 0)
        {
            WriteSigned(ref writer, stat.Pzxid);
        }
        WriteSigned(ref writer, stat.Ctime);
        if ((flags & MtimeIsCtime) == 0)
        {
            WriteSigned(ref writer, stat.Mtime - stat.Ctime);
        }
        WriteSigned(ref writer, stat.Version);
        WriteSigned(ref writer, stat.Cversion);
        WriteSigned(ref writer, stat.Aversion);
        WriteSigned(ref writer, stat.EphemeralOwner);
        WriteSigned(ref writer, stat.DataLength);
        WriteSigned(ref writer, stat.NumChildren);
    }

    public static Stat Read(ref JuteReader reader, long zxid)
    {
        byte flags = reader.ReadByte();
        long czxid = (flags & CzxidIsZxid) != 0 ? zxid : ReadSigned(ref reader);
        long mzxid = (flags & MzxidIsZxid) != 0 ? zxid : ReadSigned(ref reader);
        long pzxid = (flags & PzxidIsZxid) != 0 ? zxid : ReadSigned(ref reader);
        long ctime = ReadSigned(ref reader);
        long mtime = (flags & MtimeIsCtime) != 0 ? ctime : ctime + ReadSigned(ref reader);
        return new Stat(czxid, mzxid, ctime, mtime, ReadInt(ref reader), ReadInt(ref reader), ReadInt(ref reader),
            ReadSigned(ref reader), ReadInt(ref reader), ReadInt(ref reader), pzxid);
    }

    /// <summary>A Stat outside any record (a snapshot's): its mzxid first, then the Stat relative to it.</summary>
    public static void WriteStandalone(ref JuteWriter writer, in Stat stat)
    {
        WriteSigned(ref writer, stat.Mzxid);
        Write(ref writer, stat, stat.Mzxid);
    }

    public static Stat ReadStandalone(ref JuteReader reader) => Read(ref reader, ReadSigned(ref reader));

    private static void WriteSigned(ref JuteWriter writer, long value)
    {
        ulong zigzag = (ulong)((value << 1) ^ (value >> 63));
        while (zigzag >= 0x80)
        {
            writer.WriteByte((byte)(zigzag | 0x80));
            zigzag >>= 7;
        }
        writer.WriteByte((byte)zigzag);
    }

    private static long ReadSigned(ref JuteReader reader)
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }
        throw new InvalidDataException("A variable-length integer longer than 10 bytes.");
    }

    private static int ReadInt(ref JuteReader reader)
    {
        long value = ReadSigned(ref reader);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new InvalidDataException($"{value} does not fit a Stat's int field.");
    }
}
