using System.Buffers;

namespace ZkGateway.Jute;

/// <summary>
/// Convenience entry points for whole records: encode to a fresh array, or decode a complete payload
/// and insist that every byte was consumed. The hot path writes through <see cref="JuteWriter"/>
/// into a <see cref="Framing.FrameBuffer"/> instead; these are for handshakes, tools and tests.
/// </summary>
public static class JuteSerializer
{
    public static byte[] ToArray<T>(in T record) where T : IJuteRecord
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        record.Write(ref writer);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes <typeparamref name="T"/> from exactly <paramref name="payload"/>; trailing bytes are malformed.</summary>
    public static T ReadExact<T>(ReadOnlySpan<byte> payload) where T : IJuteReadable<T>
    {
        var reader = new JuteReader(payload);
        var value = T.Read(ref reader);
        if (!reader.IsAtEnd)
        {
            JuteFormatException.ThrowInvalid($"{typeof(T).Name}: {reader.Remaining} trailing bytes.");
        }
        return value;
    }
}
