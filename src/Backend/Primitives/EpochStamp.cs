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
/// Text form, as stored (an S3 metadata value, a DynamoDB string attribute):
/// <c>&lt;gateway&gt;=&lt;zxid hex&gt;[;&lt;gateway&gt;=&lt;zxid hex&gt;…]</c>, gateways in ordinal order.
/// Gateway ids are letters, digits, '-' and '_' (ZooCfg), so '=' and ';' cannot occur in them.
/// </para>
/// </summary>
public sealed class EpochStamp
{
    private readonly SortedDictionary<string, long> _entries;

    private EpochStamp(SortedDictionary<string, long> entries) => _entries = entries;

    /// <summary>Gateway → zxid of the last trigger routed to it.</summary>
    public IReadOnlyDictionary<string, long> Entries => _entries;

    /// <summary>A stamp of these entries; null when there are none (nothing in flight: nothing is written).</summary>
    public static EpochStamp? Of(IEnumerable<KeyValuePair<string, long>> entries)
    {
        var sorted = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (gateway, zxid) in entries)
        {
            if (zxid > 0 && (!sorted.TryGetValue(gateway, out long known) || known < zxid))
            {
                sorted[gateway] = zxid;
            }
        }
        return sorted.Count == 0 ? null : new EpochStamp(sorted);
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
        int length = 0;
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
        return new EpochStamp(kept);
    }

    public string Encode()
    {
        var text = new StringBuilder(_entries.Count * 32);
        foreach (var (gateway, zxid) in _entries)
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
        foreach (string entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !long.TryParse(entry.AsSpan(eq + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long zxid))
            {
                return null;
            }
            entries.Add(new(entry[..eq], zxid));
        }
        return Of(entries);
    }

    public override string ToString() => Encode();
}
