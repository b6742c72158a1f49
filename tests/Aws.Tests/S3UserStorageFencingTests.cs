using Amazon.Runtime;
using Amazon.S3.Model;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// Several appliers of one batch on the persistent (S3) user storage (issue 17's stale read after a
/// paused function host woke up): a host that stalled in a batch and wakes after a replacement applied
/// that batch and newer ones must not write its older versions over theirs, and two hosts applying
/// one batch at once leave the state of one application. The emulator honours S3's conditional
/// writes (scripts/emulators/s3-conditional-writes.mjs).
/// </summary>
public sealed class S3UserStorageFencingTests : IAsyncLifetime
{
    private EmulatorDeployment _deployment = null!;

    public async Task InitializeAsync() => _deployment = await EmulatorDeployment.CreateAsync("sf");

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    private S3UserStorage NewStorage() =>
        new(_deployment.Clients.S3, _deployment.Clients.DynamoDb, _deployment.Settings.BucketName, _deployment.Settings.CountersTable);

    /// <summary>A function host's distributor: its own user storage instance (cache, applied zxid), as on another machine.</summary>
    private DistributorFunction NewHost() =>
        new(NewStorage(), new DynamoSystemStorage(_deployment.Clients), new SilentOutbox());

    private static async Task ApplyAsync(S3UserStorage storage, params Txn[] batch)
    {
        var answered = new List<long>();
        await storage.ApplyAsync(batch, t => answered.Add(t.Zxid));
        // Every applier answers every transaction, whether its writes went through or were skipped.
        Assert.Equal(batch.Select(t => t.Zxid), answered);
    }

    /// <summary>Every object of the bucket with its ETag (the hash of its body).</summary>
    private async Task<List<string>> SnapshotAsync()
    {
        var objects = await _deployment.Clients.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _deployment.Settings.BucketName });
        return [.. (objects.S3Objects ?? []).Select(o => $"{o.Key} {o.ETag} {o.Size}").Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task A_distributor_host_woken_after_a_replacement_applied_its_batch_and_newer_ones_leaves_the_newest_version()
    {
        var h = new NodeHistory();
        await ApplyAsync(NewStorage(), NodeHistory.Root());
        var paused = NewHost();
        var replacement = NewHost();
        await paused.HandleBatchAsync([h.Create("/nemesis", []), h.Create("/nemesis/k1", [0])], CancellationToken.None);

        // The paused host received this batch and stalled; the queue gave it to the replacement,
        // which applied it and the next ones.
        Txn[] stalled = [h.Set("/nemesis/k1", [1]), h.Create("/nemesis/k2", [1])];
        await replacement.HandleBatchAsync(stalled, CancellationToken.None);
        await replacement.HandleBatchAsync([h.Set("/nemesis/k1", [2]), h.Delete("/nemesis/k2")], CancellationToken.None);
        await replacement.HandleBatchAsync([h.Set("/nemesis/k1", [3])], CancellationToken.None);

        // The paused host wakes with the applied zxid it knew when its batch started, and applies it.
        await paused.HandleBatchAsync(stalled, CancellationToken.None);

        // k1 reads as the replacement's last version, k2 stays deleted, /nemesis lists k1 alone.
        var k1 = await NewStorage().ReadAsync("/nemesis/k1", (n, _) => n);
        Assert.Equal(3, k1!.Stat.Version);
        Assert.Equal([3], k1.Data);
        await h.AssertReadsAsync(NewStorage());
    }

    [Fact]
    public async Task A_host_paused_between_reading_a_node_and_writing_it_does_not_write_over_what_landed_meanwhile()
    {
        var h = new NodeHistory();
        await ApplyAsync(NewStorage(), NodeHistory.Root(), h.Create("/k", [0]));
        Txn[] stalled = [h.Set("/k", [1])];
        Txn[] newer = [h.Set("/k", [2])];

        // The paused host has read /k (v0) and is about to put v1: the replacement applies that batch
        // and the next one first.
        using var pausedClients = new AwsClients(_deployment.Settings);
        int puts = 0;
        ((AmazonServiceClient)pausedClients.S3).BeforeRequestEvent += (_, e) =>
        {
            if (e is WebServiceRequestEventArgs { Request: PutObjectRequest } && Interlocked.Increment(ref puts) == 1)
            {
                Task.Run(async () =>
                {
                    var replacement = NewStorage();
                    await ApplyAsync(replacement, stalled);
                    await ApplyAsync(replacement, newer);
                }).GetAwaiter().GetResult();
            }
        };
        var paused = new S3UserStorage(pausedClients.S3, pausedClients.DynamoDb, _deployment.Settings.BucketName, _deployment.Settings.CountersTable);
        await ApplyAsync(paused, stalled);

        Assert.Equal(1, puts);
        await h.AssertReadsAsync(NewStorage());
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
        await h.AssertReadsAsync(NewStorage());
        // The applier that wrote the newest state still knows it (its cache was not made stale).
        await ApplyAsync(storage, h.Set("/f", [4]));
        await h.AssertReadsAsync(NewStorage());
    }

    [Fact]
    public async Task The_same_batch_applied_twice_leaves_the_state_of_one_application()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root(), h.Create("/p", []), h.Create("/p/old", [1]), h.Create("/gone", [2]));
        Txn[] batch = [h.Create("/p/new", [2]), h.Delete("/p/old"), h.Set("/p", [4]), h.Delete("/gone"), h.Create("/n", null)];
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
                ? [h.Create($"/c/{round}", [(byte)round]), h.Create($"/c/{round}/x", [1]), h.Set("/c", [(byte)round]), h.Create($"/c/t{round}", [])]
                : [h.Delete($"/c/{round - 1}/x"), h.Set($"/c/{round - 1}", [9, (byte)round]), h.Delete($"/c/t{round - 1}"), h.Create($"/c/u{round}", []), h.Delete($"/c/{round - 1}")];
            // Each on a thread of its own, so that their calls interleave.
            await Task.WhenAll(Task.Run(() => ApplyAsync(one, batch)), Task.Run(() => ApplyAsync(other, batch)));
            await h.AssertReadsAsync(NewStorage());
            var state = await SnapshotAsync();
            await ApplyAsync(NewStorage(), batch);
            Assert.Equal(state, await SnapshotAsync());
        }
        Assert.Equal(3, await one.CountDescendantsAsync("/c"));
    }

    [Fact]
    public async Task A_deleted_node_reads_as_no_node_is_not_counted_and_gives_way_to_a_new_create()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root(), h.Create("/t", []), h.Create("/t/x", [5]), h.Create("/t/x/y", []));
        await ApplyAsync(storage, h.Delete("/t/x/y"), h.Delete("/t/x"));

        Assert.Null(await NewStorage().ReadAsync("/t/x", (n, _) => n));
        Assert.Equal(-1, await NewStorage().CountDescendantsAsync("/t/x"));
        Assert.Equal(0, await NewStorage().CountDescendantsAsync("/t"));

        await ApplyAsync(NewStorage(), h.Create("/t/x", [7]));
        await h.AssertReadsAsync(NewStorage());
        Assert.Equal(1, await storage.CountDescendantsAsync("/t"));
    }

    private sealed class SilentOutbox : IGatewayOutbox
    {
        public void Triggers(Txn txn)
        {
        }

        public void Reply(ReplyAddress address, WriteResult result)
        {
        }

        public void SessionClosed(long sessionId, string? gatewayId)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_create_whose_put_went_in_with_its_answer_lost_is_still_listed_by_its_parent()
    {
        // QueuePathCloudFaultTests (persistent) lost a sequential node from getChildren: the child's
        // PUT (If-None-Match: *) took effect, its answer was lost, the SDK's retry was refused with
        // 412, and the round from fresh reads found the child's object there and took the create for
        // an update: the parent went out with its stamp and without the child's name.
        var h = new NodeHistory();
        await ApplyAsync(NewStorage(), NodeHistory.Root(), h.Create("/seq", []));
        await using var proxy = await ZkGateway.Testing.FaultProxy.StartAsync(_deployment.Settings.S3Endpoint!, ZkGateway.Testing.CloudService.S3);
        int puts = 0;
        proxy.Plan = call => call.Operation == "PUT" && Interlocked.Increment(ref puts) == 1 ? ZkGateway.Testing.ProxyFault.DropAfterForward : ZkGateway.Testing.ProxyFault.None;
        using var clients = new AwsClients(_deployment.Settings with { S3Endpoint = proxy.Endpoint });
        var storage = new S3UserStorage(clients.S3, _deployment.Clients.DynamoDb, _deployment.Settings.BucketName, _deployment.Settings.CountersTable);
        await ApplyAsync(storage, h.Create("/seq/n-0000000000", [1]));
        Assert.Equal(1, proxy.Count("PUT", ZkGateway.Testing.ProxyFault.DropAfterForward));
        await h.AssertReadsAsync(NewStorage());
        var seq = await NewStorage().ReadAsync("/seq", (n, _) => n);
        Assert.Equal(["n-0000000000"], seq!.Children);
    }
}
