using ZkGateway.Backend.Primitives;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// What every AWS user storage must do when several appliers run one batch (a gateway applying the
/// batch of a stalled writer, a function host that wakes up after a replacement did its work): twice is
/// once, two at once is once, and an older batch applied after newer ones changes nothing they wrote.
/// Each storage's class adds the cases only it has (its tombstones, its spilled data, its conditional
/// puts) and says how to read its raw state.
/// </summary>
public abstract class UserStorageFencingContract : IAsyncLifetime
{
    /// <summary>
    /// Data over this many bytes leaves the node's own item on the key-value storage (a few KB stand in
    /// for its 350 KB); on S3 it is an object body like any other.
    /// </summary>
    protected const int ItemLimit = 2048;

    protected EmulatorDeployment Deployment { get; private set; } = null!;

    /// <summary>The deployment name's prefix, one per class, so that the classes' resources never meet.</summary>
    protected abstract string DeploymentPrefix { get; }

    /// <summary>A new applier: its own storage instance (cache, applied zxid), as on another machine.</summary>
    protected abstract IUserStorage NewStorage();

    /// <summary>Everything the storage keeps, one sorted line per item or object, to compare states.</summary>
    protected abstract Task<List<string>> SnapshotAsync();

    public async Task InitializeAsync() => Deployment = await EmulatorDeployment.CreateAsync(DeploymentPrefix);

    public async Task DisposeAsync() => await Deployment.DisposeAsync();

    protected static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static async Task ApplyAsync(IUserStorage storage, params Txn[] batch)
    {
        var answered = new List<long>();
        await storage.ApplyAsync(batch, t => answered.Add(t.Zxid));
        // Every applier answers every transaction, whether its writes went through or were skipped:
        // the caller fires watches and replies from it.
        Assert.Equal(batch.Select(t => t.Zxid), answered);
    }

    [Fact]
    public async Task The_same_batch_applied_twice_leaves_the_state_of_one_application()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root(), h.Create("/p", []), h.Create("/p/old", [1]), h.Create("/s", Bytes(ItemLimit * 2, 1)), h.Create("/gone", Bytes(ItemLimit * 2, 2)));
        // Creates, sets (one of large data again, one of small), a delete of a node of large data, and
        // children added and removed under one parent.
        Txn[] batch = [h.Create("/p/new", [2]), h.Delete("/p/old"), h.Set("/s", Bytes(ItemLimit * 3, 3)), h.Set("/p", [4]), h.Delete("/gone"), h.Create("/n", null)];
        await ApplyAsync(storage, batch);
        var once = await SnapshotAsync();

        await ApplyAsync(storage, batch);
        Assert.Equal(once, await SnapshotAsync());
        await ApplyAsync(NewStorage(), batch);
        Assert.Equal(once, await SnapshotAsync());
        await h.AssertReadsAsync(NewStorage());
    }

    [Fact]
    public async Task Two_instances_applying_one_batch_at_once_leave_the_state_of_one_application()
    {
        var (one, other) = (NewStorage(), NewStorage());
        var h = new NodeHistory();
        await ApplyAsync(one, NodeHistory.Root(), h.Create("/c", []));
        for (int round = 0; round < 6; round++)
        {
            Txn[] batch = round % 2 == 0
                ? [h.Create($"/c/{round}", Bytes(ItemLimit * 2, round)), h.Create($"/c/{round}/x", [1]), h.Set("/c", [(byte)round]), h.Create($"/c/t{round}", [])]
                : [h.Delete($"/c/{round - 1}/x"), h.Set($"/c/{round - 1}", Bytes(ItemLimit * 3, round)), h.Delete($"/c/t{round - 1}"), h.Create($"/c/u{round}", []), h.Delete($"/c/{round - 1}")];
            // Each on a thread of its own, so that their calls interleave.
            await Task.WhenAll(Task.Run(() => ApplyAsync(one, batch)), Task.Run(() => ApplyAsync(other, batch)));
            await h.AssertReadsAsync(NewStorage());
            // What they left is what one application leaves: applying it once more changes nothing.
            var state = await SnapshotAsync();
            await ApplyAsync(NewStorage(), batch);
            Assert.Equal(state, await SnapshotAsync());
        }
        Assert.Equal(3, await one.CountDescendantsAsync("/c"));
    }

    [Fact]
    public async Task An_older_batch_applied_after_newer_ones_changes_nothing_they_wrote()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root());
        Txn[] first = [h.Create("/f", [1]), h.Create("/f/c1", [1]), h.Create("/g", [1]), h.Create("/h", [1])];
        Txn[] second = [h.Set("/f", [2]), h.Create("/f/c2", [2]), h.Delete("/f/c1"), h.Delete("/h"), h.Set("/g", [2])];
        Txn[] third = [h.Delete("/g")];
        Txn[] fourth = [h.Create("/g", [3])];
        foreach (var batch in new[] { first, second, third, fourth })
        {
            await ApplyAsync(storage, batch);
        }
        var newest = await SnapshotAsync();

        // A stalled applier of each older batch wakes up, in any order.
        var late = NewStorage();
        foreach (var batch in new[] { third, first, second, third, first })
        {
            await ApplyAsync(late, batch);
            Assert.Equal(newest, await SnapshotAsync());
        }
        // Data, Stat and children of /f are the second batch's; /f/c1 and /h stay deleted; /g is the
        // fourth batch's new node.
        await h.AssertReadsAsync(NewStorage());
        // The applier that wrote the newest state still knows it (its cache was not made stale).
        await ApplyAsync(storage, h.Set("/f", [4]));
        await h.AssertReadsAsync(NewStorage());
    }
}
