using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// A backup of the embedded store in one file: a snapshot and the log records after it up to a cut
/// point, exactly as the data directory holds them, so that restoring is laying the two files down and
/// letting ordinary recovery replay the log over the (fuzzy) snapshot.
/// <para>
/// Layout: a 56-byte header <c>[magic "ZKGWBAK1"][version u32][crc32c of the rest of the header u32]
/// [from seq i64][to seq i64, exclusive][last zxid i64][snapshot length i64][record bytes i64]</c>,
/// the snapshot file's bytes, the records <c>from..to-1</c> in the log's own framing (each with its
/// CRC), and the 8-byte end marker "ZKGWBEND". Every part is checked on restore: a truncated or
/// damaged file is an <see cref="InvalidDataException"/> naming the offset, and nothing is restored.
/// </para>
/// </summary>
public static class BackupBundle
{
    private const ulong Magic = 0x314B414257474B5A;  // "ZKGWBAK1"
    private const ulong EndMagic = 0x444E454257474B5A; // "ZKGWBEND"
    private const uint Version = 1;
    private const int HeaderSize = 56;
    private const int RecordHeaderSize = 16;

    /// <summary>
    /// Writes the bundle of <paramref name="snapshotPath"/> (null: none yet, the log from record 0) and
    /// the log records from <paramref name="fromSeq"/> to <paramref name="toSeq"/> (exclusive) of
    /// <paramref name="dir"/>. The files may be appended to meanwhile: only records before the cut,
    /// all already durable, are read, and nothing is ever truncated. Returns the bytes written.
    /// </summary>
    internal static async Task<long> WriteAsync(Stream destination, string dir, string? snapshotPath, long fromSeq, long toSeq, long lastZxid, CancellationToken cancellationToken)
    {
        using var snapshot = snapshotPath is null ? null : OpenShared(snapshotPath);
        long snapshotLength = snapshot?.Length ?? 0;
        var records = RecordRanges(dir, fromSeq, toSeq);
        long recordBytes = records.Sum(r => r.Length);

        byte[] header = new byte[HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), fromSeq);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), toSeq);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), lastZxid);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), snapshotLength);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(48), recordBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), Crc32C.Of(header.AsSpan(16)));
        await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        if (snapshot is not null)
        {
            await CopyExactlyAsync(snapshot, destination, snapshotLength, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (path, offset, length) in records)
        {
            using var log = OpenShared(path);
            log.Position = offset;
            await CopyExactlyAsync(log, destination, length, cancellationToken).ConfigureAwait(false);
        }
        byte[] end = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(end, EndMagic);
        await destination.WriteAsync(end, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return HeaderSize + snapshotLength + recordBytes + 8;
    }

    /// <summary>
    /// Restores a bundle into <paramref name="dataDir"/>, which must be absent or empty: the files are
    /// laid down in a directory beside it, recovered once to prove them whole, and renamed into place,
    /// so the data directory is either the backup's or untouched. Returns the backup's last zxid.
    /// </summary>
    public static long Restore(Stream source, string dataDir, ILogger? logger = null) =>
        StagedDataDirectory.Create(dataDir, "restoring", staging => Unpack(source, staging), logger);

    /// <summary>Checks a bundle end to end (as <see cref="Restore"/> would) without keeping anything.</summary>
    public static long Verify(Stream source, ILogger? logger = null)
    {
        string scratch = Path.Combine(Path.GetTempPath(), "zkgateway-verify-" + Guid.NewGuid().ToString("N"));
        try
        {
            return Restore(source, scratch, logger);
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary>Writes the bundle's snapshot and log files into <paramref name="dir"/>, checking every part.</summary>
    private static long Unpack(Stream source, string dir)
    {
        var reader = new CountingReader(source);
        var header = reader.Read(HeaderSize, "the header");
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic)
        {
            throw new InvalidDataException("offset 0: not a ZkGateway backup (bad magic)");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        if (version != Version)
        {
            throw new InvalidDataException($"offset 8: backup format version {version}, this build reads {Version}");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12)) != Crc32C.Of(header.AsSpan(16)))
        {
            throw new InvalidDataException("offset 12: the header's checksum does not match");
        }
        long fromSeq = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        long toSeq = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
        long lastZxid = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
        long snapshotLength = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40));
        long recordBytes = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(48));
        if (fromSeq < 0 || toSeq < fromSeq || snapshotLength < 0 || recordBytes < 0)
        {
            throw new InvalidDataException("offset 16: impossible header fields");
        }
        if (snapshotLength > 0)
        {
            string snapshotPath = Path.Combine(dir, $"{SnapshotFile.Prefix}{fromSeq:x16}");
            using (var snapshot = new FileStream(snapshotPath, FileMode.CreateNew, FileAccess.Write))
            {
                reader.CopyTo(snapshot, snapshotLength, "the snapshot");
                snapshot.Flush(flushToDisk: true);
            }
            try
            {
                _ = SnapshotFile.Read(snapshotPath);
            }
            catch (InvalidDataException e)
            {
                // Recovery would only say that no snapshot can be read; say where in the backup.
                throw new InvalidDataException($"offset {HeaderSize}: the backup's snapshot is damaged ({e.Message.Replace(snapshotPath, SnapshotFile.Prefix + "…", StringComparison.Ordinal)})", e);
            }
        }
        using (var log = new FileStream(Path.Combine(dir, $"{RecordLog.Prefix}{fromSeq:x16}"), FileMode.CreateNew, FileAccess.Write))
        {
            long end = reader.Offset + recordBytes;
            for (long seq = fromSeq; seq < toSeq; seq++)
            {
                long at = reader.Offset;
                var recordHeader = reader.Read(RecordHeaderSize, $"record {seq}");
                int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(recordHeader), int.MaxValue);
                if (length < 8 || at + 8 + length > end)
                {
                    throw new InvalidDataException($"offset {at}: record {seq} has an impossible length {length}");
                }
                var payload = reader.Read(length - 8, $"record {seq}");
                long found = BinaryPrimitives.ReadInt64LittleEndian(recordHeader.AsSpan(8));
                uint crc = Crc32C.Append(Crc32C.Append(~0u, recordHeader.AsSpan(8)), payload) ^ ~0u;
                if (found != seq || crc != BinaryPrimitives.ReadUInt32LittleEndian(recordHeader.AsSpan(4)))
                {
                    throw new InvalidDataException($"offset {at}: record {seq} is damaged (checksum or sequence number)");
                }
                log.Write(recordHeader);
                log.Write(payload);
            }
            if (reader.Offset != end)
            {
                throw new InvalidDataException($"offset {reader.Offset}: the records end at {reader.Offset}, the header says {end}");
            }
            log.Flush(flushToDisk: true);
        }
        var trailer = reader.Read(8, "the end marker");
        if (BinaryPrimitives.ReadUInt64LittleEndian(trailer) != EndMagic)
        {
            throw new InvalidDataException($"offset {reader.Offset - 8}: no end marker where the backup should end");
        }
        if (source.ReadByte() >= 0)
        {
            throw new InvalidDataException($"offset {reader.Offset}: bytes after the end of the backup");
        }
        DirectorySync.Flush(dir);
        return lastZxid;
    }

    /// <summary>Where in each log file the records <paramref name="fromSeq"/>..<paramref name="toSeq"/> lie (whole records only).</summary>
    private static List<(string Path, long Offset, long Length)> RecordRanges(string dir, long fromSeq, long toSeq)
    {
        var ranges = new List<(string, long, long)>();
        var files = RecordLog.Files(dir);
        Span<byte> recordHeader = stackalloc byte[RecordHeaderSize];
        for (int i = 0; i < files.Count && fromSeq < toSeq; i++)
        {
            if (i + 1 < files.Count && files[i + 1].FirstSeq <= fromSeq)
            {
                continue;
            }
            var (firstSeq, path) = files[i];
            if (firstSeq > fromSeq)
            {
                throw new InvalidDataException($"{path}: starts at record {firstSeq}, the backup needs {fromSeq} (a log file is missing)");
            }
            using var file = OpenShared(path);
            long offset = 0, start = -1;
            for (long seq = firstSeq; seq < toSeq; seq++)
            {
                if (seq == fromSeq && start < 0)
                {
                    start = offset;
                }
                file.Position = offset;
                if (file.Read(recordHeader) < RecordHeaderSize)
                {
                    break; // the file ends here: the next file goes on from seq
                }
                long found = BinaryPrimitives.ReadInt64LittleEndian(recordHeader[8..]);
                if (found != seq)
                {
                    throw new InvalidDataException($"{path}: offset {offset}: record {found} where {seq} was expected");
                }
                offset += 8 + BinaryPrimitives.ReadUInt32LittleEndian(recordHeader);
                if (start >= 0)
                {
                    fromSeq = seq + 1; // the next record the backup needs
                }
            }
            if (start >= 0 && offset > start)
            {
                ranges.Add((path, start, offset - start));
            }
        }
        if (fromSeq < toSeq)
        {
            throw new InvalidDataException($"{dir}: the log ends at record {fromSeq}, before the backup's cut at {toSeq}");
        }
        return ranges;
    }

    // The store keeps appending to the newest log file while a backup reads it.
    private static FileStream OpenShared(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16);

    private static async Task CopyExactlyAsync(Stream from, Stream to, long count, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[1 << 16];
        while (count > 0)
        {
            int n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("a store file ended while it was being copied");
            }
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            count -= n;
        }
    }

    /// <summary>Reads exact byte counts from a stream, knowing the offset, so errors can name it.</summary>
    private sealed class CountingReader(Stream source)
    {
        public long Offset { get; private set; }

        public byte[] Read(int count, string what)
        {
            byte[] bytes = new byte[count];
            int done = 0;
            while (done < count)
            {
                int n = source.Read(bytes, done, count - done);
                if (n == 0)
                {
                    throw new InvalidDataException($"offset {Offset + done}: the backup is truncated in {what}");
                }
                done += n;
            }
            Offset += count;
            return bytes;
        }

        public void CopyTo(Stream destination, long count, string what)
        {
            byte[] buffer = new byte[1 << 16];
            while (count > 0)
            {
                int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
                if (n == 0)
                {
                    throw new InvalidDataException($"offset {Offset}: the backup is truncated in {what}");
                }
                destination.Write(buffer, 0, n);
                Offset += n;
                count -= n;
            }
        }
    }
}
