using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.JuteFuzz;

/// <summary>
/// One request frame's payload (RequestHeader, then the body) through the header reader and the
/// decoder the gateway uses for its opcode. Invariants: only JuteFormatException (a header too short
/// closes the connection, a bad body is answered MarshallingError); encoding what was decoded is stable
/// (decode ∘ encode gives back the same bytes), so what the gateway understood is what a client could
/// have sent.
/// </summary>
public static class RecordTarget
{
    public static void Run(ReadOnlySpan<byte> payload)
    {
        var reader = new JuteReader(payload);
        RequestHeader header;
        try
        {
            header = RequestHeader.Read(ref reader);
        }
        catch (JuteFormatException)
        {
            InvariantViolation.Check(payload.Length < 8, "a RequestHeader of 8 bytes or more failed to decode");
            return;
        }
        DecodeBody(header.Type, payload[reader.Position..]);
    }

    /// <summary>Decodes one body as the dispatcher does; false when it is malformed (MarshallingError).</summary>
    public static bool DecodeBody(OpCode op, ReadOnlySpan<byte> body)
    {
        IJuteRecord? record;
        try
        {
            record = RequestBodies.Decode(op, body);
        }
        catch (JuteFormatException)
        {
            return false;
        }
        if (record is not null)
        {
            CheckStableEncoding(op, record, body.Length);
        }
        return true;
    }

    private static void CheckStableEncoding(OpCode op, IJuteRecord record, int bodyLength)
    {
        byte[] once = Encode(record);
        // setWatches is widened to setWatches2 on decoding (two more null vectors): re-read it as one.
        var reread = op == OpCode.SetWatches ? OpCode.SetWatches2 : op;
        // Invalid UTF-8 comes back as U+FFFD, three bytes each however few it replaced: at most 3x the body.
        InvariantViolation.Check(once.Length <= 3L * bodyLength + 8, $"op {(int)op}: the decoded record encodes far longer than its body");
        IJuteRecord? again;
        try
        {
            again = RequestBodies.Decode(reread, once);
        }
        catch (JuteFormatException e)
        {
            throw new InvariantViolation($"op {(int)op}: the decoded record, encoded again, does not decode: {e.Message}");
        }
        InvariantViolation.Check(again is not null && Encode(again).AsSpan().SequenceEqual(once), $"op {(int)op}: encoding the decoded record is not stable");
    }

    private static byte[] Encode(IJuteRecord record)
    {
        var buffer = new FrameBuffer(256);
        var writer = new JuteWriter(buffer);
        record.Write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }
}
