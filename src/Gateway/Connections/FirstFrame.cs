using System.Buffers;
using System.Buffers.Binary;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// What a connection's first bytes make it, decided on what one read has delivered so far: a
/// four-letter word (NIOServerCnxn.checkFourLetterWord), a ConnectRequest, or nothing yet. Kept apart
/// from the socket so that the in-process fuzz targets (tests/JuteFuzz) drive the same code.
/// </summary>
public static class FirstFrame
{
    public enum Kind
    {
        /// <summary>No decision yet: wait for more bytes (everything delivered was examined).</summary>
        NeedMore,

        /// <summary>Close without a reply: the client went away mid-frame, or stmk came without its mask.</summary>
        Close,

        FourLetterWord,

        Connect,
    }

    public readonly record struct Decision(Kind Kind, ConnectRequest? Request = null, string? Command = null, long TraceMask = 0)
    {
        /// <summary>
        /// Whether the caller marks everything buffered as examined, so that the next read waits for new
        /// bytes: only while waiting. After a ConnectRequest, requests that came in the same write (the
        /// Java client pipelines auth and SetWatches behind it) must reach the read loop at once.
        /// </summary>
        public bool ExaminedEverything => Kind == FirstFrame.Kind.NeedMore;
    }

    /// <summary>
    /// Decides on the bytes in <paramref name="buffer"/> and slices off what the decision took; bytes
    /// after a ConnectRequest (requests pipelined into the handshake's write) stay in it for the read loop.
    /// Throws <see cref="JuteFormatException"/> for a frame length out of range or an undecodable ConnectRequest.
    /// </summary>
    /// <param name="buffer">What the connection has delivered and nothing has consumed yet.</param>
    /// <param name="isCompleted">The client has finished sending: no more bytes will come.</param>
    /// <param name="maxBuffer">jute.maxbuffer.</param>
    public static Decision Take(ref ReadOnlySequence<byte> buffer, bool isCompleted, int maxBuffer)
    {
        if (buffer.Length >= 4)
        {
            Span<byte> first = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(first);
            if (FourLetterWords.TryGetCommand(first, out string command))
            {
                buffer = buffer.Slice(4);
                if (command != "stmk")
                {
                    return new Decision(Kind.FourLetterWord, Command: command);
                }
                // 3.8.0 takes stmk's 8-byte mask from the same socket read (one read of 8 bytes):
                // without them it fails and closes the connection unanswered.
                if (buffer.Length < 8)
                {
                    return new Decision(Kind.Close);
                }
                Span<byte> mask = stackalloc byte[8];
                buffer.Slice(0, 8).CopyTo(mask);
                buffer = buffer.Slice(8);
                return new Decision(Kind.FourLetterWord, Command: command, TraceMask: BinaryPrimitives.ReadInt64BigEndian(mask));
            }
        }
        var rest = buffer;
        if (FrameReader.TryRead(ref rest, maxBuffer, out var payload))
        {
            buffer = rest;
            var reader = new JuteReader(payload.ToArray());
            return new Decision(Kind.Connect, Request: ConnectRequest.Read(ref reader));
        }
        return isCompleted ? new Decision(Kind.Close) : new Decision(Kind.NeedMore);
    }
}
