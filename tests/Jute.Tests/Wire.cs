using System.Buffers;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Jute.Tests;

/// <summary>Test helpers: hex frames in, decoded records out, and back to framed bytes.</summary>
internal static class Wire
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>Runs the frame through <see cref="FrameReader"/> and returns its payload; the frame must be exactly one frame.</summary>
    public static byte[] Payload(string frameHex)
    {
        var sequence = new ReadOnlySequence<byte>(Bytes(frameHex));
        Assert.True(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out var payload));
        Assert.True(sequence.IsEmpty, "bytes left after the frame");
        return payload.ToArray();
    }

    /// <summary>Decodes one record that must fill the whole payload.</summary>
    public static T Body<T>(string frameHex) where T : IJuteReadable<T> => JuteSerializer.ReadExact<T>(Payload(frameHex));

    public static (RequestHeader Header, T Body) Request<T>(string frameHex) where T : IJuteReadable<T>
    {
        var payload = Payload(frameHex);
        var reader = new JuteReader(payload);
        var header = RequestHeader.Read(ref reader);
        var body = T.Read(ref reader);
        Assert.True(reader.IsAtEnd, $"{reader.Remaining} trailing bytes after {typeof(T).Name}");
        return (header, body);
    }

    public static (ReplyHeader Header, T Body) Reply<T>(string frameHex) where T : IJuteReadable<T>
    {
        var payload = Payload(frameHex);
        var reader = new JuteReader(payload);
        var header = ReplyHeader.Read(ref reader);
        var body = T.Read(ref reader);
        Assert.True(reader.IsAtEnd, $"{reader.Remaining} trailing bytes after {typeof(T).Name}");
        return (header, body);
    }

    /// <summary>Decodes a frame that is a header and nothing else.</summary>
    public static T HeaderOnly<T>(string frameHex) where T : IJuteReadable<T> => JuteSerializer.ReadExact<T>(Payload(frameHex));

    /// <summary>Encodes the records back to back in one frame, through <see cref="FrameBuffer"/>.</summary>
    public static string Frame(params IJuteRecord[] parts)
    {
        var buffer = new FrameBuffer(16);
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        foreach (var part in parts)
        {
            part.Write(ref writer);
        }
        buffer.EndFrame();
        return Hex(buffer.WrittenSpan);
    }

    public static string Utf8(byte[]? bytes) => bytes is null ? "<null>" : System.Text.Encoding.UTF8.GetString(bytes);
}

/// <summary>A <see cref="ReadOnlySequence{T}"/> built from several segments, as a socket delivers them.</summary>
internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    private Segment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Join(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(parts[0], 0);
        var last = first;
        for (int i = 1; i < parts.Length; i++)
        {
            var next = new Segment(parts[i], last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
