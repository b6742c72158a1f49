using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Codecs;

/// <summary>
/// Binary encodings of what the embedded store persists (Stat, ACL lists, pending transactions),
/// written with the Jute primitives so there is one binary convention in the codebase.
/// </summary>
public static class StorageCodec
{
    /// <summary>Format 2 added each trigger's ACL (for the watchers' READ check); 1 and 2 are still read.</summary>
    private const int LegacyTxnFormatVersion = 2;

    public static byte[] EncodeStat(in Stat stat)
    {
        var buffer = new FrameBuffer(Stat.Size);
        var writer = new JuteWriter(buffer);
        stat.Write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    public static Stat DecodeStat(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        return Stat.Read(ref reader);
    }

    public static byte[] EncodeAcl(IReadOnlyList<Acl> acl)
    {
        var buffer = new FrameBuffer(64);
        var writer = new JuteWriter(buffer);
        Acl.WriteList(ref writer, acl);
        return buffer.WrittenSpan.ToArray();
    }

    public static IReadOnlyList<Acl> DecodeAcl(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        return Acl.ReadList(ref reader) ?? [];
    }

    /// <summary>
    /// A pending transaction, as needed to re-apply (and, on AWS, answer) it after a crash: written in
    /// <see cref="Messages.MessageCodec"/>'s transaction format (3 and later), the one the distributor queue uses.
    /// </summary>
    public static byte[] EncodeTxn(Txn txn) => Messages.MessageCodec.EncodeTxn(txn);

    /// <summary>Reads formats 3 and later (MessageCodec's), and the embedded store's older formats 1 and 2 (no reply address, no result).</summary>
    public static Txn DecodeTxn(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        int version = reader.ReadInt();
        if (version >= 3)
        {
            return Messages.MessageCodec.DecodeTxn(bytes);
        }
        if (version is not (1 or LegacyTxnFormatVersion))
        {
            JuteFormatException.ThrowInvalid($"Unknown pending transaction format {version}.");
        }
        long zxid = reader.ReadLong();
        long time = reader.ReadLong();
        long session = reader.ReadLong();
        long closed = reader.ReadLong();
        var changes = Messages.MessageCodec.ReadChanges(ref reader, withDataFlag: false);
        var triggers = Messages.MessageCodec.ReadTriggers(ref reader, withAcl: version >= 2);
        return new Txn(zxid, time, session, null, new WriteResult(ErrorCode.Ok, zxid), changes, triggers, closed);
    }
}
