using System.Globalization;
using System.Text;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// FaaSKeeper's epoch counter, per gateway: written by the distributor on every node it writes while
/// watch triggers may still be on their way to gateways. For each such gateway, the zxid of the last
/// trigger routed to it (this batch's included). A gateway that reads a node whose stamp names it
/// with a zxid above the last trigger its inbox has handled waits for its inbox before it answers, so
/// no client sees data of a write ordered after the one that fired its watch before the event
/// (docs/serverless.md, "Watch event before data across paths").
/// <para>
/// It also carries the batch's <see cref="Generation"/> (the interest generation the distributor read
/// before its first interest lookup; on every node a distributor of this version writes, 0 included)
/// and <see cref="BatchZxid"/> (the batch's highest zxid): a gateway
/// that registered its first interest in a path after that read may be missing from the entries, and
/// waits for the batch's <c>Mark</c> instead (docs/serverless.md, "late registration").
/// </para>
/// <para>
/// Text form, as stored (an S3 metadata value, a DynamoDB string attribute):
/// <c>[#g=&lt;generation hex&gt;;#z=&lt;batch zxid hex&gt;;]&lt;gateway&gt;=&lt;zxid hex&gt;[;…]</c>, gateways in
/// ordinal order. Gateway ids are letters, digits, '-' and '_' (ZooCfg), so '=', ';' and '#' cannot
/// occur in them; a gateway of an older version reads <c>#g</c> and <c>#z</c> as entries of gateways
/// that do not exist. A stamp without <c>#g</c> (written by an earlier version, which sends no Mark)
/// has no generation.
/// </para>
/// </summary>
public sealed class EpochStamp
{
    private const string GenerationKey = "#g";
    private const string BatchZxidKey = "#z";

    private readonly SortedDictionary<string, long> _entries;

    private EpochStamp(SortedDictionary<string, long> entries, long? generation, long batchZxid)
    {
        _entries = entries;
        Generation = generation;
        BatchZxid = generation is null ? 0 : batchZxid;
    }

    /// <summary>Gateway → zxid of the last trigger routed to it.</summary>
    public IReadOnlyDictionary<string, long> Entries => _entries;

    /// <summary>The interest generation the writing batch read before it looked up interest (0: no registration yet); null on a stamp of an earlier version.</summary>
    public long? Generation { get; }

    /// <summary>The writing batch's highest zxid (with a generation only; 0 otherwise).</summary>
    public long BatchZxid { get; }

    /// <summary>
    /// A stamp of these entries and the batch's interest generation; null when there is neither
    /// (nothing is written).
    /// </summary>
    public static EpochStamp? Of(IEnumerable<KeyValuePair<string, long>> entries, long? generation = null, long batchZxid = 0)
    {
        var sorted = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (gateway, zxid) in entries)
        {
            if (zxid > 0 && (!sorted.TryGetValue(gateway, out long known) || known < zxid))
            {
                sorted[gateway] = zxid;
            }
        }
        return sorted.Count == 0 && generation is null ? null : new EpochStamp(sorted, generation, batchZxid);
    }

    /// <summary>The zxid this gateway's inbox must have handled before it answers a read of the node; 0 if none.</summary>
    public long For(string gatewayId) => _entries.GetValueOrDefault(gatewayId);

    /// <summary>How many stamps <see cref="Truncate"/> had to shorten in this process (mntr: zk_epoch_stamp_truncated).</summary>
    public static long TruncatedCount => Interlocked.Read(ref _truncated);

    private static long _truncated;

    /// <summary>
    /// This stamp, or one that fits <paramref name="maxChars"/> encoded, keeping the entries with the
    /// highest zxids: the triggers sent longest ago are the likeliest to be handled already. A dropped
    /// entry only loses the wait for that gateway (counted).
    /// </summary>
    public EpochStamp Truncate(int maxChars)
    {
        if (Encode().Length <= maxChars)
        {
            return this;
        }
        Interlocked.Increment(ref _truncated);
        var kept = new SortedDictionary<string, long>(StringComparer.Ordinal);
        // The generation and batch zxid are kept whatever happens: without them a late registration is not seen.
        int length = Generation is not null ? EncodeOf(new SortedDictionary<string, long>(StringComparer.Ordinal), Generation, BatchZxid).Length + 1 : 0;
        foreach (var (gateway, zxid) in _entries.OrderByDescending(e => e.Value))
        {
            int size = gateway.Length + 2 + zxid.ToString("x", CultureInfo.InvariantCulture).Length;
            if (length + size > maxChars)
            {
                break;
            }
            kept[gateway] = zxid;
            length += size;
        }
        return new EpochStamp(kept, Generation, BatchZxid);
    }

    public string Encode() => EncodeOf(_entries, Generation, BatchZxid);

    private static string EncodeOf(SortedDictionary<string, long> entries, long? generation, long batchZxid)
    {
        var text = new StringBuilder(entries.Count * 32 + 24);
        if (generation is { } g)
        {
            text.Append(GenerationKey).Append('=').Append(g.ToString("x", CultureInfo.InvariantCulture))
                .Append(';').Append(BatchZxidKey).Append('=').Append(batchZxid.ToString("x", CultureInfo.InvariantCulture));
        }
        foreach (var (gateway, zxid) in entries)
        {
            if (text.Length > 0)
            {
                text.Append(';');
            }
            text.Append(gateway).Append('=').Append(zxid.ToString("x", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Reads <see cref="Encode"/>'s form; null for null, empty or malformed text (a stamp is a hint to wait, never data).</summary>
    public static EpochStamp? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var entries = new List<KeyValuePair<string, long>>();
        long? generation = null;
        long batchZxid = 0;
        foreach (string entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !long.TryParse(entry.AsSpan(eq + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long value))
            {
                return null;
            }
            string key = entry[..eq];
            if (key == GenerationKey)
            {
                generation = value;
            }
            else if (key == BatchZxidKey)
            {
                batchZxid = value;
            }
            else if (key[0] != '#')
            {
                // ('#': a field of a later version, not a gateway.)
                entries.Add(new(key, value));
            }
        }
        return Of(entries, generation, batchZxid);
    }

    public override string ToString() => Encode();
}
