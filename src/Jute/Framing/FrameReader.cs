using System.Buffers;
using System.Buffers.Binary;

namespace ZkGateway.Jute.Framing;

/// <summary>
/// ZooKeeper framing, both directions:
/// <code>
/// +----------------+------------------------+
/// | int32 length   | payload (length bytes) |
/// +----------------+------------------------+
/// </code>
/// The length is checked against jute.maxbuffer before the body is awaited (NIOServerCnxn.readLength),
/// so an oversize or negative length is rejected with only 4 bytes read.
/// </summary>
public static class FrameReader
{
    public const int LengthPrefixSize = 4;

    /// <summary>Reads the 4-byte big-endian prefix if present.</summary>
    public static bool TryPeekLength(in ReadOnlySequence<byte> buffer, out int length)
    {
        if (buffer.Length < LengthPrefixSize)
        {
            length = 0;
            return false;
        }
        Span<byte> prefix = stackalloc byte[LengthPrefixSize];
        buffer.Slice(0, LengthPrefixSize).CopyTo(prefix);
        length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        return true;
    }

    /// <summary>
    /// Takes one frame off the front of <paramref name="buffer"/>. Returns false when more bytes are
    /// needed; throws <see cref="JuteFormatException"/> when the length is out of range.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxBuffer, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (!TryPeekLength(buffer, out int length))
        {
            return false;
        }
        if (length < 0 || length > maxBuffer)
        {
            JuteFormatException.ThrowFrameLengthOutOfRange(length, maxBuffer);
        }
        if (buffer.Length - LengthPrefixSize < length)
        {
            return false;
        }
        payload = buffer.Slice(LengthPrefixSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }
}
