using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ZkGateway.Jute;

/// <summary>
/// Reads Jute primitives from one complete frame payload.
/// <list type="bullet">
/// <item><c>int</c>/<c>long</c>: big-endian, 4 and 8 bytes; <c>boolean</c>: 1 byte.</item>
/// <item><c>ustring</c>, <c>buffer</c>, <c>vector</c>: an int32 length or count, then the bytes or
/// elements; -1 means null.</item>
/// </list>
/// Every length and count is checked against what is left in the frame before it is used, so a
/// hostile length can neither allocate nor read past the frame. Running short is malformed input
/// (<see cref="JuteFormatException"/>): frames are complete before records are decoded.
/// </summary>
public ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left in the frame.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool IsAtEnd => _position >= _buffer.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if ((uint)count > (uint)Remaining)
        {
            JuteFormatException.ThrowTruncated(what, count, Remaining);
        }
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4, "int"));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8, "long"));

    /// <summary>Jute's <c>byte</c>.</summary>
    public byte ReadByte() => Take(1, "byte")[0];

    /// <summary>Jute booleans are one byte; ZooKeeper treats any non-zero value as true.</summary>
    public bool ReadBool() => Take(1, "boolean")[0] != 0;

    /// <summary>Reads a <c>buffer</c>; -1 gives null.</summary>
    public byte[]? ReadBuffer()
    {
        int length = ReadLength("buffer");
        return length < 0 ? null : Take(length, "buffer").ToArray();
    }

    /// <summary>Reads a <c>buffer</c> without copying; null and empty both give an empty span.</summary>
    public ReadOnlySpan<byte> ReadBufferSpan(out bool isNull)
    {
        int length = ReadLength("buffer");
        isNull = length < 0;
        return length < 0 ? default : Take(length, "buffer");
    }

    /// <summary>Reads a <c>ustring</c> (UTF-8, malformed bytes replaced as Java does); -1 gives null.</summary>
    public string? ReadString()
    {
        int length = ReadLength("ustring");
        if (length < 0)
        {
            return null;
        }
        return length == 0 ? string.Empty : JavaUtf8.Decode(Take(length, "ustring"));
    }

    /// <summary>
    /// Reads a vector count and bounds it by what is left in the frame: each element takes at least
    /// <paramref name="minElementSize"/> bytes, so a larger count is malformed. -1 means null; a count
    /// below -1 is malformed too (the project's own formats; for the client wire see
    /// <see cref="ReadWireVectorCount"/>).
    /// </summary>
    public int ReadVectorCount(int minElementSize) => BoundedVectorCount(ReadInt(), minElementSize);

    /// <summary>
    /// A vector count of a Jute record as 3.8.0's BinaryInputArchive reads it: -1 is null, and any other
    /// negative count an empty vector (its index is done at once when the count is not positive); a
    /// positive count is bounded as by <see cref="ReadVectorCount"/>.
    /// </summary>
    public int ReadWireVectorCount(int minElementSize)
    {
        int count = ReadInt();
        return count < -1 ? 0 : BoundedVectorCount(count, minElementSize);
    }

    private int BoundedVectorCount(int count, int minElementSize)
    {
        if (count < -1 || (count > 0 && (long)count * Math.Max(1, minElementSize) > Remaining))
        {
            JuteFormatException.ThrowLengthOutOfRange("vector", count, Remaining / Math.Max(1, minElementSize));
        }
        return count;
    }

    private int ReadLength(string what)
    {
        int length = ReadInt();
        if (length < -1 || length > Remaining)
        {
            JuteFormatException.ThrowLengthOutOfRange(what, length, Remaining);
        }
        return length;
    }
}
