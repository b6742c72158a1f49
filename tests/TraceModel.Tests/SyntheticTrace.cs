using System.Globalization;
using System.Text;

namespace ZkGateway.TraceModel.Tests;

/// <summary>Writes span files as the export does (JSON lines), with times in µs after a fixed base.</summary>
internal sealed class SyntheticTrace
{
    public const long Base = 1_700_000_000_000_000;

    private readonly Dictionary<string, StringBuilder> _files = new(StringComparer.Ordinal);

    public SyntheticTrace Span(string process, string name, string id, string? parent, long start, long end, params (string Key, object Value)[] tags)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{{\"name\":\"{name}\",\"trace\":\"t\",\"span\":\"{id}\",");
        if (parent is not null)
        {
            line.Append(CultureInfo.InvariantCulture, $"\"parent\":\"{parent}\",");
        }
        line.Append(CultureInfo.InvariantCulture, $"\"start\":{Base + start},\"end\":{Base + end},\"process\":\"{process}\",\"pid\":{(process.StartsWith("gateway", StringComparison.Ordinal) ? 1 : 2)},\"tags\":{{");
        line.AppendJoin(",", tags.Select(t => t.Value is string s
            ? $"\"{t.Key}\":\"{s}\""
            : string.Create(CultureInfo.InvariantCulture, $"\"{t.Key}\":{t.Value}")));
        line.Append("}}");
        if (!_files.TryGetValue(process, out var file))
        {
            _files[process] = file = new StringBuilder();
        }
        file.AppendLine(line.ToString());
        return this;
    }

    /// <summary>A cloud call: kind and units as the SDK hook tags them.</summary>
    public SyntheticTrace Call(string process, string id, string? parent, long start, long end, string service, string api, string kind, double units, string? messages = null, string? operation = "x")
    {
        var tags = new List<(string, object)> { ("service", service), ("api", api), ("kind", kind), ("operation", operation ?? "background") };
        if (service == "dynamodb")
        {
            tags.Add(kind == "dynamodb-read" ? ("rcu", units) : ("wcu", units));
            tags.Add(kind == "dynamodb-read" ? ("wcu", 0) : ("rcu", 0));
        }
        else
        {
            tags.Add(("units", (long)units));
        }
        if (messages is not null)
        {
            tags.Add(("messages", messages));
        }
        return Span(process, "cloud.call", id, parent, start, end, [.. tags]);
    }

    public TraceIndex Index(string dir)
    {
        var files = new List<string>();
        foreach (var (process, text) in _files)
        {
            string path = Path.Combine(dir, process.Replace(' ', '_') + ".jsonl");
            File.WriteAllText(path, text.ToString());
            files.Add(path);
        }
        return TraceIndex.Load(files);
    }
}
