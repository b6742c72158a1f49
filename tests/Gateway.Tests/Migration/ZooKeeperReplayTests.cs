using System.Buffers.Binary;
using System.Text;
using ZkGateway.Gateway.Migration;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Gateway.Tests.Migration;

/// <summary>
/// The replay rules of ZooKeeper 3.8's DataTree on a fuzzy snapshot, on hand-built transactions (the
/// Compat import scenario checks them end to end against a real server's files).
/// </summary>
public sealed class ZooKeeperReplayTests
{
    private const int Create = 1, Delete = 2, SetData = 5, Multi = 14, Error = -1, CloseSession = -11;

    [Fact]
    public void Adler32_matches_the_published_value() =>
        // RFC 1950's checksum of "Wikipedia" is 0x11E60398 (the worked example of the algorithm).
        Assert.Equal(0x11E60398u, Adler32.Of(Encoding.ASCII.GetBytes("Wikipedia")));

    [Fact]
    public void Adler32_sums_long_inputs_without_overflow()
    {
        // 0xFF bytes are the worst case for the running sums; compare with the sum taken one byte at a time.
        byte[] bytes = Enumerable.Repeat((byte)0xFF, 100_000).ToArray();
        uint a = 1, b = 0;
        foreach (byte x in bytes)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }
        Assert.Equal((b << 16) | a, Adler32.Of(bytes));
    }

    [Fact]
    public void A_create_replayed_over_a_node_the_snapshot_already_has_only_raises_the_parent()
    {
        var tree = NewTree();
        Apply(tree, 10, Create, CreateTxn("/a", "x", parentCversion: 1));
        Assert.True(tree.TryGet("", out var root));
        Assert.Equal((1, 10L), (root.Stat.Cversion, root.Stat.Pzxid));
        // The same create again (the snapshot had it): the node is kept, the parent not moved back.
        Apply(tree, 11, SetData, SetDataTxn("/a", "y", 1));
        Apply(tree, 12, Create, CreateTxn("/a", "z", parentCversion: 1));
        Assert.True(tree.TryGet("/a", out var a));
        Assert.Equal("y", Encoding.UTF8.GetString(a.Data!));
        Assert.Equal((1, 10L), (root.Stat.Cversion, root.Stat.Pzxid));
        // A higher parentCversion still raises the parent's cversion and pzxid (processTxn's fix-up).
        Apply(tree, 13, Create, CreateTxn("/a", "z", parentCversion: 3));
        Assert.Equal((3, 13L), (root.Stat.Cversion, root.Stat.Pzxid));
    }

    [Fact]
    public void A_delete_of_a_missing_node_still_moves_the_parents_pzxid_forward_only()
    {
        var tree = NewTree();
        Apply(tree, 20, Delete, PathTxn("/gone"));
        Assert.True(tree.TryGet("", out var root));
        Assert.Equal(20L, root.Stat.Pzxid);
        Apply(tree, 15, Delete, PathTxn("/gone"));
        Assert.Equal(20L, root.Stat.Pzxid);
    }

    [Fact]
    public void A_multi_with_an_error_op_changes_nothing_and_one_without_changes_all()
    {
        var tree = NewTree();
        Apply(tree, 30, Multi, MultiTxn((Create, CreateTxn("/m1", "1", -1)), (Error, IntTxn(-101))));
        Assert.False(tree.TryGet("/m1", out _));
        Apply(tree, 31, Multi, MultiTxn((Create, CreateTxn("/m1", "1", -1)), (Create, CreateTxn("/m1/c", "2", -1))));
        Assert.True(tree.TryGet("/m1/c", out var child));
        Assert.Equal(31L, child.Stat.Czxid);
    }

    [Fact]
    public void CloseSession_deletes_that_sessions_ephemerals_and_the_rest_are_dropped_and_listed()
    {
        var tree = NewTree();
        Apply(tree, 40, Create, CreateTxn("/e1", "", -1, ephemeral: true), clientId: 7);
        Apply(tree, 41, Create, CreateTxn("/e2", "", -1, ephemeral: true), clientId: 8);
        Apply(tree, 42, CloseSession, [], clientId: 7);
        Assert.False(tree.TryGet("/e1", out _));
        Assert.True(tree.TryGet("", out var root));
        Assert.Equal(42L, root.Stat.Pzxid);
        Assert.Equal([("/e2", 8L)], tree.DropEphemerals());
        Assert.Empty(root.Children);
        // Two creations: clients would see cversion 2 × 2 − 0 = 4.
        Assert.Equal(2, root.Stat.Cversion);
    }

    private static ZooKeeperTree NewTree()
    {
        var tree = new ZooKeeperTree();
        Assert.True(tree.AddFromSnapshot("", new ZooKeeperNode([], Acl.OpenAclUnsafe, default)));
        return tree;
    }

    private static void Apply(ZooKeeperTree tree, long zxid, int type, byte[] record, long clientId = 1) =>
        ZooKeeperTxnReplay.Apply(tree, new ZooKeeperTxn("test", 0, clientId, 0, zxid, 1000 + zxid, type, record));

    private delegate void WriteRecord(ref JuteWriter writer);

    private static byte[] Record(WriteRecord write)
    {
        var buffer = new FrameBuffer();
        var writer = new JuteWriter(buffer);
        write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] CreateTxn(string path, string data, int parentCversion, bool ephemeral = false) => Record((ref JuteWriter w) =>
    {
        w.WriteString(path);
        w.WriteBuffer(Encoding.UTF8.GetBytes(data));
        Acl.WriteList(ref w, Acl.OpenAclUnsafe);
        w.WriteBool(ephemeral);
        w.WriteInt(parentCversion);
    });

    private static byte[] SetDataTxn(string path, string data, int version) => Record((ref JuteWriter w) =>
    {
        w.WriteString(path);
        w.WriteBuffer(Encoding.UTF8.GetBytes(data));
        w.WriteInt(version);
    });

    private static byte[] PathTxn(string path) => Record((ref JuteWriter w) => w.WriteString(path));

    private static byte[] IntTxn(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] MultiTxn(params (int Type, byte[] Data)[] ops) => Record((ref JuteWriter w) =>
    {
        w.WriteInt(ops.Length);
        foreach (var (type, data) in ops)
        {
            w.WriteInt(type);
            w.WriteBuffer(data);
        }
    });
}
