using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Migration;

/// <summary>A node as a client sees it: data, Stat, ACL.</summary>
public sealed record ZnodeState(byte[]? Data, Stat Stat, IReadOnlyList<Acl> Acl);

/// <summary>
/// A whole tree read through the client protocol (getData, getChildren, getACL per node), with the
/// test's own client, so that what the import wrote is judged by what a client reads back, not by
/// the product's own tree reader.
/// </summary>
public static class ZnodeTree
{
    /// <summary>Reads every node under "/" (the session should hold the super digest, to read every ACL).</summary>
    public static async Task<SortedDictionary<string, ZnodeState>> ReadAsync(RawZkClient client)
    {
        var tree = new SortedDictionary<string, ZnodeState>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            var data = client.GetDataAsync(path);
            var acl = client.SendAsync(OpCode.GetAcl, new GetACLRequest(path));
            var children = client.GetChildrenAsync(path);
            var dataReply = await data;
            Assert.True(dataReply.Error == ErrorCode.Ok, $"getData {path}: {dataReply.Error}");
            var got = dataReply.Decode<GetDataResponse>();
            var aclReply = await acl;
            Assert.True(aclReply.Error == ErrorCode.Ok, $"getACL {path}: {aclReply.Error}");
            tree[path] = new ZnodeState(got.Data, got.Stat, aclReply.Decode<GetACLResponse>().Acl ?? []);
            foreach (string child in (await children).Decode<GetChildrenResponse>().Children ?? [])
            {
                pending.Push(path == "/" ? "/" + child : path + "/" + child);
            }
        }
        return tree;
    }

    /// <summary>
    /// The tree a client should see after an import that dropped <paramref name="dropped"/>: without those
    /// nodes, and their parents with a child fewer and so (2 × creations − children) a cversion one higher.
    /// </summary>
    public static SortedDictionary<string, ZnodeState> WithoutEphemerals(IReadOnlyDictionary<string, ZnodeState> tree, IEnumerable<string> dropped)
    {
        var expected = new SortedDictionary<string, ZnodeState>(tree.ToDictionary(), StringComparer.Ordinal);
        foreach (string path in dropped)
        {
            Assert.True(expected.Remove(path), $"{path} was not in the tree");
            string parent = path[..path.LastIndexOf('/')];
            var p = expected[parent];
            expected[parent] = p with { Stat = p.Stat with { NumChildren = p.Stat.NumChildren - 1, Cversion = p.Stat.Cversion + 1 } };
        }
        return expected;
    }

    /// <summary>The ephemerals an import's report lists as dropped, with their sessions, in the report's order.</summary>
    public static List<(string Path, long Session)> DroppedEphemerals(string importOutput) =>
        [.. System.Text.RegularExpressions.Regex.Matches(importOutput, @"dropped ephemeral (\S+) \(session 0x([0-9a-f]+)\)")
            .Select(m => (m.Groups[1].Value, long.Parse(m.Groups[2].Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>Every difference between two trees, one line each (empty when they are the same).</summary>
    public static List<string> Differences(IReadOnlyDictionary<string, ZnodeState> expected, IReadOnlyDictionary<string, ZnodeState> actual)
    {
        var differences = new List<string>();
        foreach (var (path, want) in expected)
        {
            if (!actual.TryGetValue(path, out var got))
            {
                differences.Add($"{path}: missing");
                continue;
            }
            if (!(want.Data ?? []).AsSpan().SequenceEqual(got.Data ?? []) || (want.Data is null) != (got.Data is null))
            {
                differences.Add($"{path}: data {Describe(want.Data)} != {Describe(got.Data)}");
            }
            if (want.Stat != got.Stat)
            {
                differences.Add($"{path}: stat {want.Stat} != {got.Stat}");
            }
            if (!want.Acl.SequenceEqual(got.Acl))
            {
                differences.Add($"{path}: acl [{string.Join(", ", want.Acl)}] != [{string.Join(", ", got.Acl)}]");
            }
        }
        differences.AddRange(actual.Keys.Where(p => !expected.ContainsKey(p)).Select(p => $"{p}: not expected"));
        return differences;
    }

    private static string Describe(byte[]? data) => data is null ? "null" : $"{data.Length} bytes";
}
