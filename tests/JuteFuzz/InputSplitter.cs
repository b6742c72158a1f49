using System.Buffers;

namespace ZkGateway.JuteFuzz;

/// <summary>
/// Cuts a target's input into the pieces a socket might deliver it in. The first input byte picks the
/// cuts (0: one piece), so the fuzzer explores splits as it explores bytes; the rest is the stream.
/// </summary>
public static class InputSplitter
{
    public static (byte Seed, byte[][] Pieces) Split(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return (0, []);
        }
        byte seed = input[0];
        var stream = input[1..];
        if (seed == 0 || stream.IsEmpty)
        {
            return (seed, stream.IsEmpty ? [] : [stream.ToArray()]);
        }
        var pieces = new List<byte[]>();
        uint state = seed * 2654435761u | 1;
        int at = 0;
        while (at < stream.Length)
        {
            // xorshift32: deterministic piece sizes of 1 to 64 bytes.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            int size = Math.Min(1 + (int)(state % 64), stream.Length - at);
            pieces.Add(stream.Slice(at, size).ToArray());
            at += size;
        }
        return (seed, [.. pieces]);
    }

    /// <summary>A sequence of one segment per piece, as a PipeReader hands out bytes that arrived apart.</summary>
    public static ReadOnlySequence<byte> AsSequence(IReadOnlyList<byte[]> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        if (pieces.Count == 1)
        {
            return new ReadOnlySequence<byte>(pieces[0]);
        }
        var first = new Segment(pieces[0], 0);
        var last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>
    /// The bytes received and not yet consumed, as a PipeReader holds them: pieces are appended to one
    /// segment chain (no copy, nothing rebuilt per read) and consumption moves the start.
    /// </summary>
    public sealed class Received
    {
        private Segment? _first;
        private Segment? _last;
        private SequencePosition _start;

        public void Append(byte[] piece)
        {
            if (_last is null)
            {
                _first = _last = new Segment(piece, 0);
                _start = new SequencePosition(_first, 0);
                return;
            }
            _last = _last.Append(piece);
        }

        /// <summary>Everything received from the consumed position on.</summary>
        public ReadOnlySequence<byte> Unconsumed => _last is null
            ? ReadOnlySequence<byte>.Empty
            : new ReadOnlySequence<byte>(_first!, 0, _last, _last.Memory.Length).Slice(_start);

        /// <summary>Consumes up to <paramref name="position"/>, a position in <see cref="Unconsumed"/>.</summary>
        public void ConsumeTo(SequencePosition position) => _start = position;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
