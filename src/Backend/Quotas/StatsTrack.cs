using System.Globalization;
using System.Text;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// ZooKeeper 3.8's StatsTrack: the text of a zookeeper_limits or zookeeper_stats node,
/// <c>key=long</c> pairs separated by ',' or ';', a missing key reading as -1. Written back as
/// ZooKeeper writes it: count and bytes first, then (after an extra '=' that old parsers ignore) the
/// other keys sorted, each after a ';'.
/// </summary>
public sealed class StatsTrack
{
    public const string CountKey = "count";
    public const string BytesKey = "bytes";
    public const string CountHardLimitKey = "countHardLimit";
    public const string ByteHardLimitKey = "byteHardLimit";

    private readonly SortedDictionary<string, long> _values = new(StringComparer.Ordinal);

    public long Count { get => Get(CountKey); set => _values[CountKey] = value; }

    public long Bytes { get => Get(BytesKey); set => _values[BytesKey] = value; }

    public long CountHardLimit => Get(CountHardLimitKey);

    public long ByteHardLimit => Get(ByteHardLimitKey);

    /// <summary>
    /// Parses node data as StatsTrack(byte[]) does; null when Java's parser would throw (a pair
    /// without '=', a value that is not a long), so that the caller can skip the node instead.
    /// </summary>
    public static StatsTrack? Parse(byte[]? data)
    {
        var track = new StatsTrack();
        if (data is null || data.Length == 0)
        {
            return track;
        }
        foreach (string pair in Encoding.UTF8.GetString(data).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=');
            if (kv.Length < 2)
            {
                return null;
            }
            if (kv[1].Length == 0)
            {
                track._values[kv[0]] = -1;
            }
            else if (long.TryParse(kv[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                track._values[kv[0]] = value;
            }
            else
            {
                return null;
            }
        }
        return track;
    }

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToString());

    public override string ToString()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{CountKey}={Count},{BytesKey}={Bytes}");
        var others = _values.Where(kv => kv.Key is not CountKey and not BytesKey).ToList();
        if (others.Count > 0)
        {
            text.Append('=');
            foreach (var (key, value) in others)
            {
                text.Append(CultureInfo.InvariantCulture, $";{key}={value}");
            }
        }
        return text.ToString();
    }

    private long Get(string key) => _values.TryGetValue(key, out long value) ? value : -1;
}
