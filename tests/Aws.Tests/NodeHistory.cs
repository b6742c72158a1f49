using ZkGateway.Backend;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// Transactions shaped as the writer shapes them (a create carries its node, czxid = its zxid, and its
/// parent's new Stat; a delete carries its parent's), with consecutive zxids, and the state they lead
/// to: what a read of every path ever touched must return once they are applied.
/// </summary>
internal sealed class NodeHistory
{
    private sealed record Node(Stat Stat, byte[]? Data, SortedSet<string> Children);

    private readonly Dictionary<string, Node?> _nodes = new(StringComparer.Ordinal);
    private long _zxid;

    public NodeHistory() => _nodes["/"] = new Node(new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), [], new SortedSet<string>(StringComparer.Ordinal));

    /// <summary>The transaction that puts the root in place (zxid 0), as the contract tests start.</summary>
    public static Txn Root() =>
        new(0, 0, 0, null, new WriteResult(ErrorCode.Ok, 0), [new NodeChange(NodeChangeKind.Put, "/", new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), [], Acl.OpenAclUnsafe)], []);

    public Txn Create(string path, byte[]? data)
    {
        long z = ++_zxid;
        var stat = new Stat(z, z, 0, 0, 0, 0, 0, 0, data?.Length ?? 0, 0, z);
        _nodes[path] = new Node(stat, data, new SortedSet<string>(StringComparer.Ordinal));
        var parent = ChangeParent(path, z, +1);
        return Of(z, NodeChange.PutWithData(path, stat, data, Acl.OpenAclUnsafe), parent);
    }

    public Txn Set(string path, byte[]? data)
    {
        long z = ++_zxid;
        var node = _nodes[path]!;
        var stat = node.Stat with { Mzxid = z, Version = node.Stat.Version + 1, DataLength = data?.Length ?? 0 };
        _nodes[path] = node with { Stat = stat, Data = data };
        return Of(z, NodeChange.PutWithData(path, stat, data));
    }

    public Txn Delete(string path)
    {
        long z = ++_zxid;
        _nodes[path] = null;
        var parent = ChangeParent(path, z, -1);
        return Of(z, new NodeChange(NodeChangeKind.Delete, path, default), parent);
    }

    /// <summary>Every path this history touched, deleted ones included.</summary>
    public IEnumerable<string> Paths => _nodes.Keys.Order(StringComparer.Ordinal);

    /// <summary>Reads every path touched and checks what a client would see: existence, Stat, data, child names.</summary>
    public async Task AssertReadsAsync(IUserStorage storage)
    {
        foreach (string path in Paths)
        {
            var expected = _nodes[path];
            var actual = await storage.ReadAsync(path, (node, _) => node);
            if (expected is null)
            {
                Assert.True(actual is null, $"{path} should not exist, but reads as a node with mzxid {actual?.Stat.Mzxid:x}");
                continue;
            }
            Assert.True(actual is not null, $"{path} should exist");
            Assert.Equal(expected.Stat, actual.Stat);
            Assert.Equal(expected.Data, actual.Data);
            Assert.Equal(expected.Children, actual.Children.Order(StringComparer.Ordinal));
        }
    }

    private NodeChange ChangeParent(string path, long zxid, int delta)
    {
        string parentPath = path.LastIndexOf('/') == 0 ? "/" : path[..path.LastIndexOf('/')];
        var parent = _nodes[parentPath]!;
        string name = path[(path.LastIndexOf('/') + 1)..];
        if (delta > 0)
        {
            parent.Children.Add(name);
        }
        else
        {
            parent.Children.Remove(name);
        }
        var stat = parent.Stat with { Cversion = parent.Stat.Cversion + 1, NumChildren = parent.Stat.NumChildren + delta, Pzxid = zxid };
        _nodes[parentPath] = parent with { Stat = stat };
        return new NodeChange(NodeChangeKind.Put, parentPath, stat);
    }

    private static Txn Of(long zxid, params NodeChange[] changes) => new(zxid, 0, 1, null, new WriteResult(ErrorCode.Ok, zxid), changes, []);
}
