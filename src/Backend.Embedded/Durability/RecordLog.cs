using System.Buffers.Binary;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// The store's transaction log: append-only files <c>log.&lt;first seq, 16 hex digits&gt;</c> in the data
/// directory, each a run of records <c>[length u32][crc32c u32][seq u64][payload]</c> (the CRC covers seq
/// and payload). <see cref="Append"/> returns once the record is on disk (fsync), so an acknowledged
/// write survives a crash. A record is written with one write call; a crash can leave only the last
/// record of the last file torn, and recovery cuts it off (it was never acknowledged).
/// <para>Not thread-safe: the store appends under its write lock.</para>
/// </summary>
internal sealed class RecordLog : IDisposable
{
    public const string Prefix = "log.";
    private const int HeaderSize = 16;

    private readonly string _dir;
    private FileStream _file;
    private byte[] _buffer = new byte[64 * 1024];

    /// <summary>Why the log refuses appends (an fsync failed); null while it can be trusted.</summary>
    private string? _untrusted;

    private RecordLog(string dir, FileStream file, long nextSeq, long firstSeq)
    {
        _dir = dir;
        _file = file;
        NextSeq = nextSeq;
        FileFirstSeq = firstSeq;
    }

    /// <summary>The sequence number the next record gets.</summary>
    public long NextSeq { get; private set; }

    /// <summary>The first sequence number of the file being appended to.</summary>
    public long FileFirstSeq { get; private set; }

    /// <summary>Opens a new log file starting at <paramref name="nextSeq"/> (recovery has read and cut the old ones).</summary>
    public static RecordLog Create(string dir, long nextSeq) => new(dir, OpenNew(dir, nextSeq), nextSeq, nextSeq);

    /// <summary>
    /// Appends one record and waits until it is durable. Returns its sequence number. A failed write
    /// (ENOSPC) is undone (the file cut back to where the record began) and the next append may
    /// succeed; a failed fsync makes the log refuse every later append (fsyncgate: the kernel may have
    /// dropped the dirty pages, and a second fsync would report success). Both throw
    /// <see cref="StorageUnavailableException"/>.
    /// </summary>
    public long Append(ReadOnlySpan<byte> payload)
    {
        if (_untrusted is not null)
        {
            throw new StorageUnavailableException(_untrusted, untilRestart: true);
        }
        int size = HeaderSize + payload.Length;
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }
        long seq = NextSeq;
        var record = _buffer.AsSpan(0, size);
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(8 + payload.Length));
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], seq);
        payload.CopyTo(record[HeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C.Of(record[8..]));
        long start = _file.Position;
        try
        {
            _file.Write(record);
        }
        catch (IOException e)
        {
            Undo(start, e);
            throw new StorageUnavailableException($"{_file.Name}: writing record {seq} failed ({e.Message}); nothing of it is kept", untilRestart: false, e);
        }
        try
        {
            Failpoints.Hit(Failpoints.StoreFsync, _dir);
            _file.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            _untrusted = $"{_file.Name}: fsync of record {seq} failed ({e.Message}); the log cannot be trusted and every write is refused until restart";
            throw new StorageUnavailableException(_untrusted, untilRestart: true, e);
        }
        NextSeq = seq + 1;
        return seq;
    }

    /// <summary>
    /// Cuts the file back to <paramref name="start"/> after a write that failed part-way, so the next
    /// record follows the last whole one; if even that fails, the log refuses appends from now on.
    /// </summary>
    private void Undo(long start, IOException cause)
    {
        try
        {
            _file.SetLength(start);
            _file.Position = start;
        }
        catch (IOException e)
        {
            _untrusted = $"{_file.Name}: a failed write ({cause.Message}) could not be cut off ({e.Message}); every write is refused until restart";
        }
    }

    /// <summary>
    /// Starts a new file at <see cref="NextSeq"/> (a snapshot's starting point) and closes the current
    /// one; if the new one cannot be created (a full disk), appends go on in the current one.
    /// </summary>
    public void Roll()
    {
        var next = OpenNew(_dir, NextSeq);
        _file.Dispose();
        _file = next;
        FileFirstSeq = NextSeq;
    }

    public void Dispose() => _file.Dispose();

    /// <summary>The log files in the directory, by first sequence number.</summary>
    public static IReadOnlyList<(long FirstSeq, string Path)> Files(string dir) =>
        [.. Directory.EnumerateFiles(dir, Prefix + "*")
            .Select(p => (Seq: ParseSeq(Path.GetFileName(p), Prefix), Path: p))
            .Where(f => f.Seq >= 0)
            .OrderBy(f => f.Seq)];

    /// <summary>
    /// Every whole record with a sequence number at or above <paramref name="fromSeq"/>, in order.
    /// A torn or damaged record at the end of the last file is cut off (the file is truncated there):
    /// its write never completed, so it was never acknowledged. Damage anywhere else is corruption of
    /// acknowledged data: an <see cref="InvalidDataException"/> naming the file and offset.
    /// </summary>
    public static IEnumerable<(long Seq, byte[] Payload)> Read(string dir, long fromSeq, Action<string>? onCut = null)
    {
        var files = Files(dir);
        long expected = -1;
        for (int i = 0; i < files.Count; i++)
        {
            bool last = i == files.Count - 1;
            if (!last && files[i + 1].FirstSeq <= fromSeq)
            {
                continue;
            }
            var (firstSeq, path) = files[i];
            if (expected >= 0 && firstSeq != expected)
            {
                throw new InvalidDataException($"{path}: starts at record {firstSeq}, expected {expected} (a log file is missing)");
            }
            byte[] bytes = File.ReadAllBytes(path);
            int offset = 0;
            long seq = firstSeq;
            while (offset < bytes.Length)
            {
                string? damage = Check(bytes, offset, seq, out int length);
                if (damage is not null)
                {
                    if (!last)
                    {
                        throw new InvalidDataException($"{path}: offset {offset}: {damage}");
                    }
                    onCut?.Invoke($"{path}: offset {offset}: {damage}; the log is cut there ({bytes.Length - offset} bytes of an unfinished write)");
                    using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
                    {
                        file.SetLength(offset);
                        file.Flush(flushToDisk: true);
                    }
                    break;
                }
                if (seq >= fromSeq)
                {
                    yield return (seq, bytes.AsSpan(offset + HeaderSize, length - 8).ToArray());
                }
                offset += 8 + length;
                seq++;
            }
            expected = seq;
        }
    }

    /// <summary>Null if a whole record with sequence number <paramref name="seq"/> starts at <paramref name="offset"/>, else what is wrong.</summary>
    private static string? Check(byte[] bytes, int offset, long seq, out int length)
    {
        length = 0;
        if (bytes.Length - offset < HeaderSize)
        {
            return "a truncated record header";
        }
        length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)), int.MaxValue);
        if (length < 8 || length > bytes.Length - offset - 8)
        {
            return $"a record length of {length} bytes past the end of the file";
        }
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
        if (crc != Crc32C.Of(bytes.AsSpan(offset + 8, length)))
        {
            return "a record whose checksum does not match";
        }
        long found = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(offset + 8));
        return found == seq ? null : $"record {found} where {seq} was expected";
    }

    private static FileStream OpenNew(string dir, long firstSeq)
    {
        string path = Path.Combine(dir, $"{Prefix}{firstSeq:x16}");
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        try
        {
            DirectorySync.Flush(dir);
        }
        catch (IOException)
        {
            // Not left behind: an empty file here would look like a missing log file to recovery.
            file.Dispose();
            File.Delete(path);
            throw;
        }
        return file;
    }

    public static long ParseSeq(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.Length == prefix.Length + 16 &&
        long.TryParse(name.AsSpan(prefix.Length), System.Globalization.NumberStyles.HexNumber, null, out long seq) ? seq : -1;
}
