using System.Buffers;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;

namespace ZkGateway.JuteFuzz;

/// <summary>
/// The frame reader on a client's byte stream, however it is split. Invariants: only
/// JuteFormatException, and only for a length prefix out of [0, jute.maxbuffer]; each frame taken is
/// exactly its prefix and payload; "need more" only when the frame really is incomplete; and the frames
/// are the same whether the stream arrives in one piece or in many (read after read, as the read loop does).
/// </summary>
public static class FrameTarget
{
    public const int MaxBuffer = JuteLimits.DefaultMaxBuffer;

    public static void Run(ReadOnlySpan<byte> input)
    {
        var (_, pieces) = InputSplitter.Split(input);
        var whole = InputSplitter.AsSequence(pieces);
        var (frames, failed) = ReadAll(whole);

        // Read after read: each piece appended to what is still unconsumed, as a PipeReader delivers it.
        var incremental = new List<byte[]>();
        bool incrementalFailed = false;
        var received = new InputSplitter.Received();
        foreach (var piece in pieces)
        {
            received.Append(piece);
            var buffer = received.Unconsumed;
            var (taken, bad) = ReadAll(buffer, out long left);
            incremental.AddRange(taken);
            if (bad)
            {
                incrementalFailed = true;
                break;
            }
            received.ConsumeTo(buffer.GetPosition(buffer.Length - left));
        }
        InvariantViolation.Check(failed == incrementalFailed, "a framing error depends on how the stream was split");
        InvariantViolation.Check(frames.Count == incremental.Count, "the frame count depends on how the stream was split");
        for (int i = 0; i < frames.Count; i++)
        {
            InvariantViolation.Check(frames[i].AsSpan().SequenceEqual(incremental[i]), "a frame's bytes depend on how the stream was split");
        }
    }

    private static (List<byte[]> Frames, bool Failed) ReadAll(ReadOnlySequence<byte> buffer) => ReadAll(buffer, out _);

    private static (List<byte[]> Frames, bool Failed) ReadAll(ReadOnlySequence<byte> buffer, out long left)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            long before = buffer.Length;
            bool hasPrefix = FrameReader.TryPeekLength(buffer, out int declared);
            bool took;
            try
            {
                took = FrameReader.TryRead(ref buffer, MaxBuffer, out var payload);
                if (took)
                {
                    InvariantViolation.Check(hasPrefix && payload.Length == declared, "a frame's payload is not its declared length");
                    InvariantViolation.Check(before - buffer.Length == FrameReader.LengthPrefixSize + declared, "a frame consumed more or less than its prefix and payload");
                    frames.Add(payload.ToArray());
                }
            }
            catch (JuteFormatException)
            {
                InvariantViolation.Check(hasPrefix && (declared < 0 || declared > MaxBuffer), "a framing error for a length in range");
                InvariantViolation.Check(buffer.Length == before, "a framing error consumed bytes");
                left = buffer.Length;
                return (frames, true);
            }
            if (!took)
            {
                InvariantViolation.Check(!hasPrefix || before - FrameReader.LengthPrefixSize < declared, "need more bytes with a whole frame buffered");
                InvariantViolation.Check(buffer.Length == before, "need more bytes consumed some");
                left = buffer.Length;
                return (frames, false);
            }
        }
    }
}
