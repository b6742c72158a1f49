using System.Text;
using Amazon.DynamoDBv2.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// An item's size as DynamoDB bills it (Developer Guide, "Item sizes and formats"): per attribute the
/// UTF-8 length of its name plus its value's size: strings their UTF-8 length, binaries their length,
/// numbers one byte per two significant digits plus one, booleans and nulls one byte, sets the sum of
/// their elements, lists and maps three bytes plus one per element plus their elements (and, for maps,
/// the element names). Used where a request's capacity cannot be read off the service's answer.
/// </summary>
internal static class DynamoItemSize
{
    public static long Of(IReadOnlyDictionary<string, AttributeValue>? item)
    {
        if (item is null)
        {
            return 0;
        }
        long size = 0;
        foreach (var (name, value) in item)
        {
            size += Encoding.UTF8.GetByteCount(name) + OfValue(value);
        }
        return size;
    }

    public static long OfValue(AttributeValue? value)
    {
        if (value is null)
        {
            return 0;
        }
        if (value.S is { } s)
        {
            return Encoding.UTF8.GetByteCount(s);
        }
        if (value.N is { } n)
        {
            return OfNumber(n);
        }
        if (value.B is { } b)
        {
            return b.Length;
        }
        if (value.SS is { } ss)
        {
            return ss.Sum(e => (long)Encoding.UTF8.GetByteCount(e));
        }
        if (value.NS is { } ns)
        {
            return ns.Sum(OfNumber);
        }
        if (value.BS is { } bs)
        {
            return bs.Sum(e => e.Length);
        }
        if (value.L is { } l)
        {
            return 3 + l.Sum(e => 1 + OfValue(e));
        }
        if (value.M is { } m)
        {
            return 3 + m.Sum(e => 1 + Encoding.UTF8.GetByteCount(e.Key) + OfValue(e.Value));
        }
        // BOOL, NULL.
        return 1;
    }

    private static long OfNumber(string number)
    {
        int digits = number.Count(char.IsAsciiDigit);
        string trimmed = number.TrimStart('-', '+', '0');
        if (trimmed.Length > 0 && !trimmed.Contains('e', StringComparison.OrdinalIgnoreCase))
        {
            // Leading and trailing zeroes are not stored.
            digits = trimmed.Replace(".", "", StringComparison.Ordinal).TrimEnd('0').Length;
        }
        return (digits + 1) / 2 + 1;
    }

    /// <summary>Write units of an item of <paramref name="bytes"/>: one per started KB, at least one.</summary>
    public static long WriteUnits(long bytes) => Math.Max(1, (bytes + 1023) / 1024);

    /// <summary>Strongly consistent read units of an item of <paramref name="bytes"/>: one per started 4 KB, at least one.</summary>
    public static long ReadUnits(long bytes) => Math.Max(1, (bytes + 4095) / 4096);
}
