using System.Collections;
using System.Text;
using System.Text.Json;

namespace ZkGateway.Gateway.Admin;

/// <summary>
/// A command response as 3.8.0's JsonOutputter writes it (Jackson, indented): the command's fields, then
/// <c>command</c> and <c>error</c> — a field named <c>error</c> keeps its place and its value, as
/// CommandResponse.toMap's map does. Doubles keep Java's decimal point, so <c>0.0</c> stays a float.
/// </summary>
public static class AdminJson
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static byte[] Response(string command, string? error, IEnumerable<KeyValuePair<string, object?>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var ordered = new List<KeyValuePair<string, object?>>(fields);
        int errorAt = ordered.FindIndex(kv => kv.Key == "error");
        // toMap: the data's keys in order, command and error put after; an existing key keeps its slot.
        if (errorAt < 0)
        {
            ordered.Add(new("command", command));
            ordered.Add(new("error", error));
        }
        else
        {
            ordered.Insert(errorAt + 1, new("command", command));
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Indented))
        {
            WriteObject(writer, ordered);
        }
        return buffer.ToArray();
    }

    private static void WriteObject(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, object?>> fields)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in fields)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                writer.WriteRawValue(FourLetterWords.JavaDouble(d), skipInputValidation: true);
                break;
            case IEnumerable<KeyValuePair<string, object?>> fields:
                WriteObject(writer, fields);
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"no JSON form for {value.GetType()}", nameof(value));
        }
    }

    /// <summary>The page 3.8.0 serves at the command URL itself: a link per primary name, sorted.</summary>
    public static byte[] Links(string commandUrl, IEnumerable<string> primaryNames)
    {
        var sb = new StringBuilder();
        foreach (var name in primaryNames.Order(StringComparer.Ordinal))
        {
            // PrintWriter.println on Jetty's writer: "\n" line ends.
            sb.Append("<a href=\"").Append(commandUrl).Append('/').Append(name).Append("\">").Append(name).Append("</a>\n<br/>\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
