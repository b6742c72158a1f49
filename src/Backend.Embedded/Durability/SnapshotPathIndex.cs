using System.Buffers.Binary;
using System.Text;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>Receives bytes to write (and checksum).</summary>
internal delegate void BytesSink(ReadOnlySpan<byte> bytes);

/// <summary>
/// Snapshot format 2's path index: an open-addressing table (linear probing, at most half full) of
/// u64 entry offsets, slot = FNV-1a 64 of the path's UTF-8 bytes modulo the power-of-two slot count,
/// 0 for an empty slot. A reader confirms a hit by comparing the entry's own path, so the table holds
/// no keys. Why a hash table rather than sorted entries: the snapshot writes nodes in the order it
/// finds them, and sorting a million paths would lengthen every snapshot for the sake of one restart.
/// </summary>
internal static class SnapshotPathIndex
{
    public static ulong Hash(ReadOnlySpan<byte> utf8)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in utf8)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }

    public static ulong Hash(string path)
    {
        Span<byte> stack = stackalloc byte[256];
        int max = Encoding.UTF8.GetMaxByteCount(path.Length);
        byte[]? rented = max > stack.Length ? new byte[max] : null;
        Span<byte> buffer = rented ?? stack;
        return Hash(buffer[..Encoding.UTF8.GetBytes(path, buffer)]);
    }

    /// <summary>The slot count for <paramref name="entries"/> entries: a power of two, at least twice as many.</summary>
    public static long SlotsFor(long entries)
    {
        long slots = 8;
        while (slots < entries * 2)
        {
            slots <<= 1;
        }
        return slots;
    }

    /// <summary>Collects the entries' offsets as the snapshot is written, then writes the table.</summary>
    public sealed class Builder
    {
        private readonly List<(ulong Hash, long Offset)> _entries = [];

        public void Add(string path, long offset) => _entries.Add((Hash(path), offset));

        /// <summary>Writes the slots and returns how many there are.</summary>
        public long WriteSlots(BytesSink sink)
        {
            long slots = SlotsFor(_entries.Count);
            var table = new long[slots];
            long mask = slots - 1;
            foreach (var (hash, offset) in _entries)
            {
                long slot = (long)(hash & (ulong)mask);
                while (table[slot] != 0)
                {
                    slot = (slot + 1) & mask;
                }
                table[slot] = offset;
            }
            var chunk = new byte[64 * 1024];
            for (long i = 0; i < slots;)
            {
                int n = 0;
                for (; n + 8 <= chunk.Length && i < slots; n += 8, i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(chunk.AsSpan(n), table[i]);
                }
                sink(chunk.AsSpan(0, n));
            }
            return slots;
        }
    }
}
