using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Migration;

/// <summary>
/// The portable dump (docs/migration.md): JSON Lines, UTF-8. A header line
/// <c>{"format":"zkgateway-dump","version":1,"source":…,"zxid":…,"kindsKnown":…}</c>, one line per node,
/// parents before children, and an end line <c>{"end":true,"nodes":N,"sha256":…}</c> whose hash covers
/// every byte before it, so a truncated or edited dump is refused. Data is base64; JSON numbers hold
/// zxids and times exactly (readers must keep 64-bit integers).
/// </summary>
internal static class DumpFile
{
    private const string Format = "zkgateway-dump";
    private const int Version = 1;

    /// <summary>Writes the dump to <paramref name="path"/> through a temporary file renamed at the end.</summary>
    public static void Write(string path, DumpImage image)
    {
        string partial = path + ".partial";
        try
        {
            using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                void Line(Action<Utf8JsonWriter> write)
                {
                    var buffer = new MemoryStream();
                    using (var json = new Utf8JsonWriter(buffer))
                    {
                        write(json);
                    }
                    buffer.WriteByte((byte)'\n');
                    hash.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
                    file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
                }
                Line(json =>
                {
                    json.WriteStartObject();
                    json.WriteString("format", Format);
                    json.WriteNumber("version", Version);
                    json.WriteString("source", image.Source);
                    json.WriteNumber("zxid", image.Zxid);
                    json.WriteBoolean("kindsKnown", image.KindsKnown);
                    json.WriteEndObject();
                });
                foreach (var node in image.Nodes)
                {
                    Line(json => WriteNode(json, node));
                }
                string digest = Convert.ToHexStringLower(hash.GetHashAndReset());
                var end = Encoding.UTF8.GetBytes($"{{\"end\":true,\"nodes\":{image.Nodes.Count},\"sha256\":\"{digest}\"}}\n");
                file.Write(end);
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static void WriteNode(Utf8JsonWriter json, DumpNode node)
    {
        json.WriteStartObject();
        json.WriteString("path", node.Path);
        if (node.Data is null)
        {
            json.WriteNull("data");
        }
        else
        {
            json.WriteBase64String("data", node.Data);
        }
        json.WriteStartArray("acl");
        foreach (var acl in node.Acl)
        {
            json.WriteStartObject();
            json.WriteNumber("perms", (int)acl.Perms);
            json.WriteString("scheme", acl.Id.Scheme);
            json.WriteString("id", acl.Id.Ident);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("kind", node.Kind.ToString().ToLowerInvariant());
        if (node.Kind == DumpNodeKind.Ttl)
        {
            json.WriteNumber("ttl", node.Ttl);
        }
        var s = node.Stat;
        json.WriteNumber("czxid", s.Czxid);
        json.WriteNumber("mzxid", s.Mzxid);
        json.WriteNumber("pzxid", s.Pzxid);
        json.WriteNumber("ctime", s.Ctime);
        json.WriteNumber("mtime", s.Mtime);
        json.WriteNumber("version", s.Version);
        json.WriteNumber("cversion", s.Cversion);
        json.WriteNumber("aversion", s.Aversion);
        json.WriteNumber("ephemeralOwner", s.EphemeralOwner);
        json.WriteNumber("dataLength", s.DataLength);
        json.WriteNumber("numChildren", s.NumChildren);
        json.WriteEndObject();
    }

    /// <summary>Reads and checks a whole dump; any damage is an <see cref="InvalidDataException"/> naming the line.</summary>
    public static DumpImage Read(string path)
    {
        using var file = File.OpenRead(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var nodes = new List<DumpNode>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? source = null;
        long zxid = 0;
        bool kindsKnown = false;
        int lineNumber = 0;
        DumpImage? ended = null;
        foreach (byte[] line in Lines(file))
        {
            lineNumber++;
            if (ended is not null)
            {
                throw new InvalidDataException($"{path}: line {lineNumber}: bytes after the end of the dump");
            }
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (lineNumber == 1)
                {
                    if (!root.TryGetProperty("format", out var format) || format.GetString() != Format)
                    {
                        throw new InvalidDataException($"{path}: line 1: not a zkgateway dump");
                    }
                    int version = root.GetProperty("version").GetInt32();
                    if (version != Version)
                    {
                        throw new InvalidDataException($"{path}: line 1: dump format version {version}, this build reads {Version}");
                    }
                    source = root.GetProperty("source").GetString();
                    zxid = root.GetProperty("zxid").GetInt64();
                    kindsKnown = root.GetProperty("kindsKnown").GetBoolean();
                }
                else if (root.TryGetProperty("end", out _))
                {
                    string digest = Convert.ToHexStringLower(hash.GetHashAndReset());
                    if (root.GetProperty("sha256").GetString() != digest || root.GetProperty("nodes").GetInt32() != nodes.Count)
                    {
                        throw new InvalidDataException($"{path}: line {lineNumber}: the dump's checksum or node count does not match: it was changed or damaged");
                    }
                    ended = new DumpImage(source ?? "", zxid, kindsKnown, nodes);
                    continue;
                }
                else
                {
                    var node = ReadNode(root);
                    string parent = node.Path == "/" ? "" : node.Path.LastIndexOf('/') is 0 ? "/" : node.Path[..node.Path.LastIndexOf('/')];
                    if ((node.Path != "/" && !seen.Contains(parent)) || !seen.Add(node.Path))
                    {
                        throw new InvalidDataException($"{path}: line {lineNumber}: {node.Path} comes before its parent, or twice");
                    }
                    nodes.Add(node);
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or ArgumentException)
            {
                throw new InvalidDataException($"{path}: line {lineNumber}: {e.Message}", e);
            }
            hash.AppendData(line);
            hash.AppendData("\n"u8);
        }
        return ended ?? throw new InvalidDataException($"{path}: line {lineNumber}: the dump is truncated (no end line)");
    }

    private static DumpNode ReadNode(JsonElement root)
    {
        string path = root.GetProperty("path").GetString() ?? throw new FormatException("a null path");
        var data = root.GetProperty("data");
        var acl = root.GetProperty("acl").EnumerateArray()
            .Select(a => new Acl((Perms)a.GetProperty("perms").GetInt32(), new Id(a.GetProperty("scheme").GetString() ?? "", a.GetProperty("id").GetString() ?? "")))
            .ToList();
        var kind = Enum.Parse<DumpNodeKind>(root.GetProperty("kind").GetString() ?? "", ignoreCase: true);
        long ttl = kind == DumpNodeKind.Ttl ? root.GetProperty("ttl").GetInt64() : 0;
        var stat = new Stat(root.GetProperty("czxid").GetInt64(), root.GetProperty("mzxid").GetInt64(), root.GetProperty("ctime").GetInt64(), root.GetProperty("mtime").GetInt64(),
            root.GetProperty("version").GetInt32(), root.GetProperty("cversion").GetInt32(), root.GetProperty("aversion").GetInt32(), root.GetProperty("ephemeralOwner").GetInt64(),
            root.GetProperty("dataLength").GetInt32(), root.GetProperty("numChildren").GetInt32(), root.GetProperty("pzxid").GetInt64());
        return new DumpNode(path, data.ValueKind == JsonValueKind.Null ? null : data.GetBytesFromBase64(), acl, stat, kind, ttl);
    }

    /// <summary>The file's lines without their '\n'; a last line without one is returned too (and then fails the end check).</summary>
    private static IEnumerable<byte[]> Lines(Stream file)
    {
        var line = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = file.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    line.Write(buffer, start, i - start);
                    yield return line.ToArray();
                    line.SetLength(0);
                    start = i + 1;
                }
            }
            line.Write(buffer, start, n - start);
        }
        if (line.Length > 0)
        {
            yield return line.ToArray();
        }
    }
}
