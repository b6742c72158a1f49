using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Backend.Aws;

/// <summary>A session's ephemeral set gains or loses a path.</summary>
public readonly record struct EphemeralEdit(long Owner, string Path, bool Added);

/// <summary>
/// One committed request of a reserved batch: its transaction (what user storage, watchers and the
/// client get) and what it does to session records, which the transaction does not carry.
/// </summary>
public sealed record HeadBatchEntry(Txn Txn, SessionRecord? CreatedSession, long ClosedSession, IReadOnlyList<EphemeralEdit> Ephemerals);

/// <summary>
/// The binary form of a reserved batch in the head item: a format number, then per entry the
/// transaction (the distributor queue's format), its session changes and (format 2) the index of the
/// change whose data the head leaves out (<see cref="NodeChange.DataWithWriterOnly"/>; -1: none).
/// Whoever applies the batch (its writer, or a writer that finds it unapplied) needs nothing else.
/// </summary>
public static class HeadBatchCodec
{
    private const int FormatWithoutOmittedData = 1;
    private const int Format = 2;

    public static byte[] Encode(IReadOnlyList<HeadBatchEntry> entries)
    {
        var buffer = new FrameBuffer(256);
        var writer = new JuteWriter(buffer);
        writer.WriteInt(Format);
        writer.WriteInt(entries.Count);
        foreach (var entry in entries)
        {
            int omitted = IndexOfWriterOnly(entry.Txn.Changes);
            var txn = omitted < 0 ? entry.Txn : entry.Txn with { Changes = [.. entry.Txn.Changes.Select((c, i) => i == omitted ? c with { Data = null } : c)] };
            writer.WriteBuffer(MessageCodec.EncodeTxn(txn));
            writer.WriteInt(omitted);
            writer.WriteBool(entry.CreatedSession is not null);
            if (entry.CreatedSession is { } session)
            {
                writer.WriteLong(session.SessionId);
                writer.WriteBuffer(session.Password);
                writer.WriteInt(session.TimeoutMs);
            }
            writer.WriteLong(entry.ClosedSession);
            writer.WriteInt(entry.Ephemerals.Count);
            foreach (var edit in entry.Ephemerals)
            {
                writer.WriteLong(edit.Owner);
                writer.WriteString(edit.Path);
                writer.WriteBool(edit.Added);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static int IndexOfWriterOnly(IReadOnlyList<NodeChange> changes)
    {
        for (int i = 0; i < changes.Count; i++)
        {
            if (changes[i].DataWithWriterOnly)
            {
                return i;
            }
        }
        return -1;
    }

    public static IReadOnlyList<HeadBatchEntry> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return [];
        }
        var reader = new JuteReader(bytes);
        int format = reader.ReadInt();
        if (format is not (Format or FormatWithoutOmittedData))
        {
            JuteFormatException.ThrowInvalid($"Unknown head batch format {format}.");
        }
        int count = reader.ReadInt();
        var entries = new List<HeadBatchEntry>(Math.Min(count, 1024));
        for (int i = 0; i < count; i++)
        {
            var txn = MessageCodec.DecodeTxn(reader.ReadBufferSpan(out _));
            int omitted = format >= Format ? reader.ReadInt() : -1;
            if (omitted >= txn.Changes.Count)
            {
                JuteFormatException.ThrowInvalid($"Head batch entry {i} leaves out the data of change {omitted} of {txn.Changes.Count}.");
            }
            if (omitted >= 0)
            {
                txn = txn with { Changes = [.. txn.Changes.Select((c, index) => index == omitted ? c with { Data = null, WritesData = true, DataWithWriterOnly = true } : c)] };
            }
            SessionRecord? created = null;
            if (reader.ReadBool())
            {
                long id = reader.ReadLong();
                byte[] password = reader.ReadBuffer() ?? [];
                created = new SessionRecord(id, password, reader.ReadInt());
            }
            long closed = reader.ReadLong();
            int edits = reader.ReadInt();
            var ephemerals = new List<EphemeralEdit>(Math.Min(edits, 1024));
            for (int e = 0; e < edits; e++)
            {
                long owner = reader.ReadLong();
                string path = reader.ReadString() ?? "";
                ephemerals.Add(new EphemeralEdit(owner, path, reader.ReadBool()));
            }
            entries.Add(new HeadBatchEntry(txn, created, closed, ephemerals));
        }
        return entries;
    }
}
