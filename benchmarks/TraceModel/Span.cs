using System.Globalization;
using System.Text.Json;
using ZkGateway.Backend.Diagnostics;

namespace ZkGateway.TraceModel;

/// <summary>One exported span (a line of a ZKGW_TRACE_FILE): times in microseconds since the Unix epoch.</summary>
public sealed record Span(string Name, string Id, string? Parent, long Start, long End, string Process, IReadOnlyDictionary<string, string> Tags)
{
    public string? Tag(string name) => Tags.TryGetValue(name, out var value) ? value : null;

    public double TagNumber(string name) => Tags.TryGetValue(name, out var value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : 0;

    public IReadOnlyList<string> TagList(string name) => Tag(name) is { Length: > 0 } list ? list.Split(',') : [];

    public bool IsCall => Name == CloudTrace.CallSpan;

    public string Kind => Tag(CloudTrace.KindTag) ?? "";

    public string Service => Tag(CloudTrace.ServiceTag) ?? "";

    public string Api => Tag(CloudTrace.ApiTag) ?? "";

    public double DurationMs => (End - Start) / 1000.0;

    /// <summary>Reads JSON lines; lines that are not spans (a torn last line of a killed process) are skipped.</summary>
    public static IEnumerable<Span> ReadFile(string path)
    {
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }
            Span? span;
            try
            {
                span = Parse(line);
            }
            catch (JsonException)
            {
                continue;
            }
            if (span is not null)
            {
                yield return span;
            }
        }
    }

    public static Span? Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("span", out var id))
        {
            return null;
        }
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tags", out var t))
        {
            foreach (var tag in t.EnumerateObject())
            {
                tags[tag.Name] = tag.Value.ValueKind == JsonValueKind.String ? tag.Value.GetString()! : tag.Value.GetRawText();
            }
        }
        string process = root.GetProperty("process").GetString() ?? "";
        if (root.TryGetProperty("pid", out var pid))
        {
            process += "#" + pid.GetRawText();
        }
        return new Span(
            root.GetProperty("name").GetString() ?? "",
            id.GetString() ?? "",
            root.TryGetProperty("parent", out var parent) ? parent.GetString() : null,
            root.GetProperty("start").GetInt64(),
            root.GetProperty("end").GetInt64(),
            process,
            tags);
    }
}
