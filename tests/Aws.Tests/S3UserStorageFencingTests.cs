using Amazon.Runtime;
using Amazon.S3.Model;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// Several appliers of one batch on the persistent (S3) user storage (issue 17's stale read after a
/// paused function host woke up): the shared cases of <see cref="UserStorageFencingContract"/>, plus
/// its own: a host that stalled in a batch and wakes after a replacement applied that batch and newer
/// ones must not write its older versions over theirs, and a put whose answer was lost. The emulator
/// honours S3's conditional writes (scripts/emulators/s3-conditional-writes.mjs).
/// </summary>
public sealed class S3UserStorageFencingTests : UserStorageFencingContract
{
    protected override string DeploymentPrefix => "sf";

    protected override IUserStorage NewStorage() => NewS3Storage();

    private S3UserStorage NewS3Storage() =>
        new(Deployment.Clients.S3, Deployment.Clients.DynamoDb, Deployment.Settings.BucketName, Deployment.Settings.CountersTable);

    /// <summary>A function host's distributor: its own user storage instance (cache, applied zxid), as on another machine.</summary>
    private DistributorFunction NewHost() =>
        new(NewS3Storage(), new DynamoSystemStorage(Deployment.Clients), new SilentOutbox());

    /// <summary>Every object of the bucket with its ETag (the hash of its body).</summary>
    protected override async Task<List<string>> SnapshotAsync()
    {
        var objects = await Deployment.Clients.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Deployment.Settings.BucketName });
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
        using var pausedClients = new AwsClients(Deployment.Settings);
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
        var paused = new S3UserStorage(pausedClients.S3, pausedClients.DynamoDb, Deployment.Settings.BucketName, Deployment.Settings.CountersTable);
        await ApplyAsync(paused, stalled);

        Assert.Equal(1, puts);
        await h.AssertReadsAsync(NewStorage());
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
        await using var proxy = await ZkGateway.Testing.FaultProxy.StartAsync(Deployment.Settings.S3Endpoint!, ZkGateway.Testing.CloudService.S3);
        int puts = 0;
        proxy.Plan = call => call.Operation == "PUT" && Interlocked.Increment(ref puts) == 1 ? ZkGateway.Testing.ProxyFault.DropAfterForward : ZkGateway.Testing.ProxyFault.None;
        using var clients = new AwsClients(Deployment.Settings with { S3Endpoint = proxy.Endpoint });
        var storage = new S3UserStorage(clients.S3, Deployment.Clients.DynamoDb, Deployment.Settings.BucketName, Deployment.Settings.CountersTable);
        await ApplyAsync(storage, h.Create("/seq/n-0000000000", [1]));
        Assert.Equal(1, proxy.Count("PUT", ZkGateway.Testing.ProxyFault.DropAfterForward));
        await h.AssertReadsAsync(NewStorage());
        var seq = await NewStorage().ReadAsync("/seq", (n, _) => n);
        Assert.Equal(["n-0000000000"], seq!.Children);
    }
}
