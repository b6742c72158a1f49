using System.Text.Json;

namespace ZkGateway.Compat.Admin;

/// <summary>
/// Compares two JSON documents by shape, not value: the same keys at every level, the same JSON type
/// of every value, integers and floats told apart (Jackson writes a double as <c>0.0</c>). Objects
/// whose keys are data (session ids, paths, expiry times) are compared as maps: their values' shape.
/// </summary>
public static class JsonShapes
{
    /// <summary>The fields of 3.8.0's responses that are maps keyed by data.</summary>
    public static readonly IReadOnlySet<string> DataKeyedMaps = new HashSet<string>(StringComparer.Ordinal)
    {
        "expiry_time_to_session_ids", "session_id_to_ephemeral_paths", "session_id_to_watched_paths", "path_to_session_ids",
    };

    /// <summary>Every difference, one line each, with its JSON path; empty when the shapes agree.</summary>
    public static List<string> Differences(JsonElement expected, JsonElement actual, Func<string, bool>? ignoreKey = null, string path = "$")
    {
        var found = new List<string>();
        Compare(expected, actual, path, ignoreKey ?? (_ => false), found, mapOfData: false);
        return found;
    }

    private static void Compare(JsonElement expected, JsonElement actual, string path, Func<string, bool> ignoreKey, List<string> found, bool mapOfData)
    {
        string e = Kind(expected), a = Kind(actual);
        if (e != a)
        {
            found.Add($"{path}: ZooKeeper has {e} ({Short(expected)}), the gateway {a} ({Short(actual)})");
            return;
        }
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object when mapOfData:
                var ev = expected.EnumerateObject().Select(p => p.Value).ToList();
                var av = actual.EnumerateObject().Select(p => p.Value).ToList();
                if (ev.Count > 0 && av.Count > 0)
                {
                    Compare(ev[0], av[0], path + ".<key>", ignoreKey, found, mapOfData: false);
                }
                else if ((ev.Count == 0) != (av.Count == 0))
                {
                    found.Add($"{path}: ZooKeeper's map has {ev.Count} entries, the gateway's {av.Count}");
                }
                break;
            case JsonValueKind.Object:
                var expectedKeys = expected.EnumerateObject().Select(p => p.Name).Where(k => !ignoreKey(k)).ToHashSet(StringComparer.Ordinal);
                var actualKeys = actual.EnumerateObject().Select(p => p.Name).Where(k => !ignoreKey(k)).ToHashSet(StringComparer.Ordinal);
                foreach (var k in expectedKeys.Except(actualKeys).Order(StringComparer.Ordinal))
                {
                    found.Add($"{path}.{k}: only ZooKeeper has it");
                }
                foreach (var k in actualKeys.Except(expectedKeys).Order(StringComparer.Ordinal))
                {
                    found.Add($"{path}.{k}: only the gateway has it");
                }
                foreach (var k in expectedKeys.Intersect(actualKeys).Order(StringComparer.Ordinal))
                {
                    Compare(expected.GetProperty(k), actual.GetProperty(k), path + "." + k, ignoreKey, found, DataKeyedMaps.Contains(k));
                }
                break;
            case JsonValueKind.Array:
                int en = expected.GetArrayLength(), an = actual.GetArrayLength();
                if (en > 0 && an > 0)
                {
                    Compare(expected[0], actual[0], path + "[0]", ignoreKey, found, mapOfData: false);
                }
                else if ((en == 0) != (an == 0))
                {
                    found.Add($"{path}: ZooKeeper's array has {en} items, the gateway's {an}");
                }
                break;
        }
    }

    // JSON's types, with numbers split as Jackson writes them: integers (long) and floats (double).
    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetRawText().AsSpan().IndexOfAny(".eE") >= 0 ? "float" : "integer",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        var k => k.ToString().ToLowerInvariant(),
    };

    private static string Short(JsonElement v)
    {
        string text = v.GetRawText();
        return text.Length <= 60 ? text : text[..60] + "…";
    }
}
