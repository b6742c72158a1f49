using System.Buffers;
using ZkGateway.Gateway.Connections;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;

namespace ZkGateway.JuteFuzz;

/// <summary>
/// A connection's first bytes, split into reads: the gateway's first-frame decision
/// (<see cref="FirstFrame.Take"/>: four-letter word, ConnectRequest, wait, close), then, after a
/// ConnectRequest, the rest of the same read and the reads after it through the read loop's framing,
/// header and body decoding. Invariants: only JuteFormatException; "need more" only while more bytes can
/// come, and never with a whole frame buffered; the decision consumes nothing more than its frame, and
/// the requests pipelined behind a ConnectRequest reach the read loop in the same read (issue 15 item 1);
/// every read makes progress or waits for the next one.
/// </summary>
public static class HandshakeTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var (_, pieces) = InputSplitter.Split(input);
        var received = new InputSplitter.Received();
        bool handshaken = false;
        // An empty input is still one read: the client connected and closed.
        int reads = Math.Max(1, pieces.Length);
        for (int i = 0; i < reads; i++)
        {
            if (i < pieces.Length)
            {
                received.Append(pieces[i]);
            }
            bool isCompleted = i == reads - 1;
            var buffer = received.Unconsumed;
            long before = buffer.Length;
            if (!handshaken)
            {
                FirstFrame.Decision decision;
                bool hadPrefix = FrameReader.TryPeekLength(buffer, out int declared);
                try
                {
                    decision = FirstFrame.Take(ref buffer, isCompleted, JuteLimits.DefaultMaxBuffer);
                }
                catch (JuteFormatException)
                {
                    return;
                }
                switch (decision.Kind)
                {
                    case FirstFrame.Kind.NeedMore:
                        InvariantViolation.Check(!isCompleted, "the handshake waits for bytes after the client finished");
                        InvariantViolation.Check(buffer.Length == before, "waiting for more consumed bytes");
                        InvariantViolation.Check(!hadPrefix || before - 4 < declared, "the handshake waits with a whole frame buffered");
                        continue;
                    case FirstFrame.Kind.Close:
                    case FirstFrame.Kind.FourLetterWord:
                        // The connection ends after the answer (or none); nothing else is read.
                        InvariantViolation.Check(decision.Kind == FirstFrame.Kind.Close || decision.Command is { Length: 4 }, "a four-letter word without its command");
                        return;
                    case FirstFrame.Kind.Connect:
                        InvariantViolation.Check(hadPrefix && before - buffer.Length == 4 + declared, "the ConnectRequest took more or less than its frame");
                        CheckConnectRequest(decision.Request!, declared);
                        handshaken = true;
                        if (decision.ExaminedEverything)
                        {
                            // The next read would wait for new bytes: requests already here must not be whole frames.
                            // (A length out of range would close it at once, so it must not wait either.)
                            InvariantViolation.Check(!FrameReader.TryPeekLength(buffer, out int next) || (next >= 0 && next <= JuteLimits.DefaultMaxBuffer && buffer.Length - 4 < next),
                                "requests pipelined behind the ConnectRequest wait for more bytes");
                            received.ConsumeTo(buffer.Start);
                            continue;
                        }
                        break;
                }
            }
            // The read loop on what is buffered: whole frames now, a partial one waits for the next read.
            if (!ReadLoopPass(ref buffer))
            {
                return;
            }
            received.ConsumeTo(buffer.Start);
        }
    }

    private static void CheckConnectRequest(ConnectRequest request, int payloadLength)
    {
        var frame = new FrameBuffer(64);
        var writer = new JuteWriter(frame);
        request.Write(ref writer);
        InvariantViolation.Check(frame.WrittenCount <= payloadLength, "a ConnectRequest encodes longer than its frame");
        var reader = new JuteReader(frame.WrittenSpan);
        var again = ConnectRequest.Read(ref reader);
        InvariantViolation.Check(reader.IsAtEnd && again.SessionId == request.SessionId && again.ReadOnly == request.ReadOnly
            && again.TimeOut == request.TimeOut && again.LastZxidSeen == request.LastZxidSeen
            && (again.Passwd ?? []).AsSpan().SequenceEqual(request.Passwd ?? []), "a ConnectRequest does not survive encoding");
    }

    /// <summary>ZkConnectionHandler.ReadLoopAsync's inner loop for one read; false when the connection closes.</summary>
    private static bool ReadLoopPass(ref ReadOnlySequence<byte> buffer)
    {
        try
        {
            long left = buffer.Length;
            while (FrameReader.TryRead(ref buffer, JuteLimits.DefaultMaxBuffer, out var payload))
            {
                InvariantViolation.Check(buffer.Length < left, "the read loop took a frame without consuming bytes");
                left = buffer.Length;
                var bytes = payload.ToArray();
                var reader = new JuteReader(bytes);
                var header = RequestHeader.Read(ref reader);
                RecordTarget.DecodeBody(header.Type, bytes.AsSpan(reader.Position));
            }
        }
        catch (JuteFormatException)
        {
            // A length out of range or a frame shorter than its header: 3.8.0 closes at once.
            return false;
        }
        return true;
    }
}
