using System.Buffers.Binary;
using ZkGateway.Jute;

namespace ZkGateway.Gateway.Migration;

/// <summary>A transaction's header (TxnHeader) and the bytes of its record after it, with where it was read.</summary>
internal sealed record ZooKeeperTxn(string File, long Offset, long ClientId, int Cxid, long Zxid, long Time, int Type, byte[] Record);

/// <summary>
/// Reads ZooKeeper 3.x transaction log files (FileTxnLog): the header <c>ZKLG</c>, version 2, dbid; then
/// records <c>[Adler-32 of the entry, i64][entry length, i32][entry: TxnHeader, the txn, 3.6+'s
/// digest][0x42]</c>. ZooKeeper preallocates log files with zeros, so a record whose checksum and length
/// are both zero is the end of the file's records. A record cut short, a checksum that does not match,
/// or a missing 0x42 is an <see cref="InvalidDataException"/> naming the file and offset.
/// </summary>
internal static class ZooKeeperTxnLog
{
    public const string Prefix = "log.";
    private const int Magic = 0x5A4B4C47; // "ZKLG"
    private const int HeaderSize = 16;
    private const int TxnHeaderSize = 8 + 4 + 8 + 8 + 4;
    private const byte EndOfRecord = 0x42;

    /// <summary>The transactions of one log file, in the order written.</summary>
    public static IEnumerable<ZooKeeperTxn> Read(string path, Action<long>? progress = null)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        byte[] header = new byte[HeaderSize];
        if (file.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize || BinaryPrimitives.ReadInt32BigEndian(header) != Magic)
        {
            throw Damaged(path, 0, "not a ZooKeeper transaction log (bad magic)");
        }
        int version = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        if (version != 2)
        {
            throw Damaged(path, 4, $"log format version {version}, this reads 2");
        }
        long offset = HeaderSize;
        byte[] prefix = new byte[12];
        while (true)
        {
            int got = file.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
            if (got < prefix.Length)
            {
                // The file's end, or preallocated zeros cut short: nothing more was written.
                if (prefix.AsSpan(0, got).ContainsAnyExcept((byte)0))
                {
                    throw Damaged(path, offset, $"the log is truncated in a record's header ({got} of 12 bytes)");
                }
                yield break;
            }
            long crc = BinaryPrimitives.ReadInt64BigEndian(prefix);
            int length = BinaryPrimitives.ReadInt32BigEndian(prefix.AsSpan(8));
            if (length == 0 && crc == 0)
            {
                yield break; // preallocated padding (Util.readTxnBytes: an empty entry ends the file)
            }
            if (length < TxnHeaderSize || length > file.Length - file.Position)
            {
                throw Damaged(path, offset, length < TxnHeaderSize
                    ? $"a record length of {length} bytes"
                    : $"the log is truncated: a record of {length} bytes, {file.Length - file.Position} left in the file");
            }
            byte[] entry = new byte[length + 1];
            if (file.ReadAtLeast(entry, entry.Length, throwOnEndOfStream: false) < entry.Length)
            {
                throw Damaged(path, offset, "the log is truncated before the record's end marker");
            }
            uint sum = Adler32.Of(entry.AsSpan(0, length));
            if ((ulong)crc != sum)
            {
                throw Damaged(path, offset, $"the record's checksum does not match (Adler-32 0x{sum:x8}, the file says 0x{crc:x}): the file is damaged");
            }
            if (entry[length] != EndOfRecord)
            {
                throw Damaged(path, offset + 12 + length, $"0x{entry[length]:x2} where a record's end marker 0x42 should be");
            }
            var reader = new JuteReader(entry.AsSpan(0, length));
            long clientId = reader.ReadLong();
            int cxid = reader.ReadInt();
            long zxid = reader.ReadLong();
            long time = reader.ReadLong();
            int type = reader.ReadInt();
            yield return new ZooKeeperTxn(path, offset, clientId, cxid, zxid, time, type, entry[TxnHeaderSize..length]);
            offset += 12 + length + 1;
            progress?.Invoke(offset);
        }
    }

    private static InvalidDataException Damaged(string path, long offset, string what) => new($"{path}: offset {offset}: {what}");
}
