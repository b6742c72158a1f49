using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Watches;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// What an embedded read hands out and what it leaves behind (issue 14's memory at a million znodes
/// and a million watches): a view made per read and not kept, carrying the tree's own path string, so
/// that a watch the read registers holds no copy of the request's.
/// </summary>
public sealed class ReadViewTests
{
    private static readonly Stat Root = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    [Fact]
    public async Task A_read_carries_the_trees_path_string_and_keeps_no_view()
    {
        using var user = await WithNodeAsync("/a/b");
        string first = new("/a/b".AsSpan());
        string second = new("/a/b".AsSpan());

        var one = await user.ReadAsync(first, (node, _) => node!);
        var two = await user.ReadAsync(second, (node, _) => node!);

        Assert.Equal("/a/b", one.Path);
        Assert.False(ReferenceEquals(first, one.Path));
        Assert.Same(one.Path, two.Path);
        // Not cached: a kept view would cost every znode ever read its 136 B.
        Assert.NotSame(one, two);
    }

    [Fact]
    public async Task A_watch_set_by_a_read_is_kept_under_the_trees_path_string()
    {
        using var user = await WithNodeAsync("/w");
        var watches = new InMemoryWatchStorage();
        string requested = new("/w".AsSpan());

        var node = await user.ReadAsync(requested, (node, _) => node);
        watches.Register(Gateway.ReadPath.WatchPath(requested, node), WatchKind.Data, 7);

        string kept = Assert.Single(watches.PathsByWatcher()[7]);
        Assert.Equal("/w", kept);
        Assert.False(ReferenceEquals(requested, kept));
        // A node the read did not find: the request's own path, the only one there is.
        Assert.Same(requested, Gateway.ReadPath.WatchPath(requested, null));
    }

    private static async Task<EmbeddedUserStorage> WithNodeAsync(string path)
    {
        var user = new EmbeddedUserStorage([new UserRow("/", [], Root, Acl.OpenAclUnsafe)]);
        long zxid = 1;
        string parent = "";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            parent += "/" + part;
            var change = NodeChange.PutWithData(parent, new Stat(zxid, zxid, 10, 10, 0, 0, 0, 0, 1, 0, zxid), [1], Acl.OpenAclUnsafe);
            await user.ApplyAsync([new Txn(zxid, 0, 0, null, new WriteResult(ErrorCode.Ok, zxid), [change], [])], _ => { });
            zxid++;
        }
        return user;
    }
}
