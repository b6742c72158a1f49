using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// The embedded user storage keeps a node's Stat once: it refers to the system record the writer made
/// it from (<see cref="NodeChange.StatSource"/>) instead of holding a second copy (issue 14's memory
/// at a million znodes), and only where that record says the same.
/// </summary>
public sealed class SharedStatTests
{
    private static readonly Stat Root = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    [Fact]
    public async Task Nodes_created_from_system_records_hold_no_stat_of_their_own()
    {
        using var user = new EmbeddedUserStorage([new UserRow("/", [], Root, Acl.OpenAclUnsafe)]);
        for (int i = 1; i <= 100; i++)
        {
            var record = new SystemNode("/n" + i, new Stat(i, i, 10, 10, 0, 0, 0, 0, 1, 0, i), Acl.OpenAclUnsafe);
            var change = NodeChange.PutWithData(record.Path, NodeKinds.VisibleStat(record), [1], record.Acl) with { StatSource = record };
            await user.ApplyAsync([Txn(i, change)], _ => { });
        }

        // The root came as a row without a record; each created node shares its record's Stat.
        Assert.Equal(1, user.OwnStatCopies());
        Assert.Equal(new Stat(7, 7, 10, 10, 0, 0, 0, 0, 1, 0, 7), await StatAsync(user, "/n7"));
    }

    [Fact]
    public async Task A_change_whose_record_says_something_else_keeps_its_own_stat()
    {
        using var user = new EmbeddedUserStorage([new UserRow("/", [], Root, Acl.OpenAclUnsafe)]);
        var record = new SystemNode("/a", new Stat(5, 5, 10, 10, 0, 0, 0, 0, 1, 0, 5), Acl.OpenAclUnsafe);
        var created = NodeChange.PutWithData("/a", NodeKinds.VisibleStat(record), [1], record.Acl) with { StatSource = record };
        await user.ApplyAsync([Txn(5, created)], _ => { });
        // A later Put names the same, older record, but its Stat is another: the Put's Stat is what counts.
        var changed = NodeKinds.VisibleStat(record) with { Mzxid = 6, Version = 1 };
        await user.ApplyAsync([Txn(6, NodeChange.PutWithData("/a", changed, [2]) with { StatSource = record })], _ => { });

        Assert.Equal(changed, await StatAsync(user, "/a"));
        Assert.Equal(2, user.OwnStatCopies());
    }

    [Fact]
    public async Task A_container_shares_its_record_whose_marker_clients_do_not_see()
    {
        using var user = new EmbeddedUserStorage([new UserRow("/", [], Root, Acl.OpenAclUnsafe)]);
        var record = new SystemNode("/c", new Stat(3, 3, 10, 10, 0, 0, 0, NodeKinds.ContainerMarker, 0, 0, 3), Acl.OpenAclUnsafe);
        var visible = NodeKinds.VisibleStat(record);
        await user.ApplyAsync([Txn(3, NodeChange.PutWithData("/c", visible, [], record.Acl) with { StatSource = record })], _ => { });

        Assert.Equal(0, (await StatAsync(user, "/c")).EphemeralOwner);
        Assert.Equal(visible, await StatAsync(user, "/c"));
        Assert.Equal(1, user.OwnStatCopies());
    }

    [Fact]
    public void A_snapshot_row_read_back_refers_to_the_system_record_read_with_it()
    {
        string dir = Path.Combine(Path.GetTempPath(), "zkgw-sharedstat-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var leaf = new Stat(4, 4, 10, 10, 0, 0, 0, 0, 1, 0, 4);
            var parent = new Stat(2, 2, 10, 10, 0, 1, 0, 0, 0, 1, 4);
            SnapshotNode Node(string path, Stat stat) => new(path, new UserRow(path, [1], NodeKinds.VisibleStat(new SystemNode(path, stat, Acl.OpenAclUnsafe)), Acl.OpenAclUnsafe), new SystemNode(path, stat, Acl.OpenAclUnsafe));
            var (file, _) = SnapshotFile.Write(dir, 1, 1, 4, [], [Node("/p", parent), Node("/p/leaf", leaf)]);

            var image = SnapshotFile.Read(file);
            foreach (var row in image.UserNodes)
            {
                Assert.Same(image.SystemNodes.Single(n => n.Path == row.Path), row.StatSource);
            }
            using var user = new EmbeddedUserStorage(image.UserNodes);
            // The parent's visible cversion (2 × 1 − 1) is its record's too: both share.
            Assert.Equal(0, user.OwnStatCopies());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Txn Txn(long zxid, NodeChange change) => new(zxid, 0, 0, null, new WriteResult(ErrorCode.Ok, zxid), [change], []);

    private static async Task<Stat> StatAsync(EmbeddedUserStorage user, string path) =>
        await user.ReadAsync(path, (node, _) => node!.Stat);
}
