using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Migration;

/// <summary>
/// Node-by-node differences between two trees as clients see them: a node on one side only, and for a
/// node on both, each field that differs. Compared by default: data, acl, and the Stat fields version,
/// cversion, aversion, dataLength, numChildren, czxid, mzxid, pzxid, ctime, mtime, and whether the node
/// is ephemeral (its owner's session id differs between any two servers, so is never compared itself).
/// </summary>
internal static class TreeComparison
{
    public static readonly IReadOnlyList<string> Fields =
        ["data", "acl", "version", "cversion", "aversion", "dataLength", "numChildren", "czxid", "mzxid", "pzxid", "ctime", "mtime", "ephemeral"];

    public static List<string> Differences(DumpImage a, DumpImage b, IReadOnlySet<string> ignored)
    {
        var right = b.Nodes.ToDictionary(n => n.Path, StringComparer.Ordinal);
        var left = a.Nodes.ToDictionary(n => n.Path, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var node in a.Nodes.OrderBy(n => n.Path, StringComparer.Ordinal))
        {
            if (!right.TryGetValue(node.Path, out var other))
            {
                differences.Add($"{node.Path}: only in {a.Source}");
                continue;
            }
            foreach (var (field, x, y) in Fields.Where(f => !ignored.Contains(f)).Select(f => (f, Value(node, f), Value(other, f))))
            {
                if (x != y)
                {
                    differences.Add($"{node.Path}: {field} {x} != {y}");
                }
            }
        }
        differences.AddRange(b.Nodes.Where(n => !left.ContainsKey(n.Path)).OrderBy(n => n.Path, StringComparer.Ordinal).Select(n => $"{n.Path}: only in {b.Source}"));
        return differences;
    }

    private static string Value(DumpNode node, string field)
    {
        var s = node.Stat;
        return field switch
        {
            "data" => node.Data is null ? "null" : $"{node.Data.Length} bytes sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(node.Data))[..16]}",
            "acl" => "[" + string.Join(", ", node.Acl.Select(Describe)) + "]",
            "version" => $"{s.Version}",
            "cversion" => $"{s.Cversion}",
            "aversion" => $"{s.Aversion}",
            "dataLength" => $"{s.DataLength}",
            "numChildren" => $"{s.NumChildren}",
            "czxid" => $"0x{s.Czxid:x}",
            "mzxid" => $"0x{s.Mzxid:x}",
            "pzxid" => $"0x{s.Pzxid:x}",
            "ctime" => $"{s.Ctime}",
            "mtime" => $"{s.Mtime}",
            "ephemeral" => s.EphemeralOwner != 0 ? "yes" : "no",
            _ => throw new ArgumentException(field),
        };
    }

    private static string Describe(Acl acl) => $"{acl.Id.Scheme}:{acl.Id.Ident}:{(int)acl.Perms}";
}
