using System.Text;
using Amazon.S3.Model;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// What both AWS user storages must do, run against the emulators: S3 objects
/// (<see cref="S3UserStorage"/>) and DynamoDB items (<see cref="DynamoUserStorage"/>). The
/// transactions are shaped as the writer shapes them: a create carries its node (czxid = the
/// transaction's zxid) and its parent's new Stat.
/// </summary>
public abstract class UserStorageContract : IAsyncLifetime
{
    protected EmulatorDeployment Deployment { get; private set; } = null!;

    private IAwsUserStorage _storage = null!;

    // Current Stat per path, so each transaction carries consistent parent stats.
    private readonly Dictionary<string, Stat> _stats = new(StringComparer.Ordinal);
    private long _zxid;

    protected abstract IAwsUserStorage Create(AwsClients clients);

    public async Task InitializeAsync()
    {
        Deployment = await EmulatorDeployment.CreateAsync("us");
        _storage = Create(Deployment.Clients);
        _stats["/"] = new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        await _storage.ApplyAsync([new Txn(0, 0, 0, null, new WriteResult(ErrorCode.Ok, 0), [new NodeChange(NodeChangeKind.Put, "/", _stats["/"], [], Acl.OpenAclUnsafe)], [])], _ => { });
    }

    public async Task DisposeAsync() => await Deployment.DisposeAsync();

    private static string? ParentOf(string path) => path == "/" ? null : path.LastIndexOf('/') == 0 ? "/" : path[..path.LastIndexOf('/')];

    private Txn TxnOf(params NodeChange[] changes) => new(_zxid, 0, 1, null, new WriteResult(ErrorCode.Ok, _zxid), changes, []);

    private Txn CreateTxn(string path, string? data)
    {
        long z = ++_zxid;
        var stat = new Stat(z, z, 0, 0, 0, 0, 0, 0, data?.Length ?? 0, 0, z);
        _stats[path] = stat;
        string parent = ParentOf(path)!;
        var p = _stats[parent];
        _stats[parent] = p with { Cversion = p.Cversion + 1, NumChildren = p.NumChildren + 1, Pzxid = z };
        return TxnOf(NodeChange.PutWithData(path, stat, data is null ? null : Encoding.UTF8.GetBytes(data), Acl.OpenAclUnsafe),
            new NodeChange(NodeChangeKind.Put, parent, _stats[parent]));
    }

    private Txn SetTxn(string path, byte[]? data)
    {
        long z = ++_zxid;
        var s = _stats[path];
        _stats[path] = s with { Mzxid = z, Version = s.Version + 1, DataLength = data?.Length ?? 0 };
        return TxnOf(NodeChange.PutWithData(path, _stats[path], data) with { PreviousDataLength = s.DataLength });
    }

    private Txn DeleteTxn(string path)
    {
        long z = ++_zxid;
        var removed = _stats[path];
        _stats.Remove(path);
        string parent = ParentOf(path)!;
        var p = _stats[parent];
        _stats[parent] = p with { Cversion = p.Cversion + 1, NumChildren = p.NumChildren - 1, Pzxid = z };
        return TxnOf(new NodeChange(NodeChangeKind.Delete, path, removed), new NodeChange(NodeChangeKind.Put, parent, _stats[parent]));
    }

    private async Task ApplyAsync(params Txn[] txns)
    {
        var seen = new List<long>();
        await _storage.ApplyAsync(txns, t => seen.Add(t.Zxid));
        Assert.Equal(txns.Select(t => t.Zxid), seen);
    }

    private static Task<UserNode?> ReadAsync(IUserStorage storage, string path) => storage.ReadAsync(path, (node, _) => node).AsTask();

    [Fact]
    public async Task Creates_sets_and_child_lists_read_back_from_a_fresh_instance()
    {
        await ApplyAsync(CreateTxn("/a", "one"), CreateTxn("/a/b", "b"));
        await ApplyAsync(CreateTxn("/a/c", "c"), SetTxn("/a", Encoding.UTF8.GetBytes("two")), CreateTxn("/z", ""));

        // A new instance (another gateway) has no state of its own: everything comes from storage.
        var reader = Create(Deployment.Clients);
        var a = await ReadAsync(reader, "/a");
        Assert.NotNull(a);
        Assert.Equal("two", Encoding.UTF8.GetString(a.Data!));
        Assert.Equal(_stats["/a"], a.Stat);
        Assert.Equal(["b", "c"], a.Children.Order(StringComparer.Ordinal));
        Assert.Equal(["a", "z"], (await ReadAsync(reader, "/"))!.Children.Order(StringComparer.Ordinal));
        Assert.Equal(_stats["/"], (await ReadAsync(reader, "/"))!.Stat);
        Assert.Equal(Array.Empty<byte>(), (await ReadAsync(reader, "/z"))!.Data);
        Assert.Equal(Acl.OpenAclUnsafe, (await ReadAsync(reader, "/a/b"))!.Acl);
        Assert.Null(await ReadAsync(reader, "/a/nope"));
        Assert.Equal(4, await reader.CountDescendantsAsync("/"));
        Assert.Equal(2, await reader.CountDescendantsAsync("/a"));
        Assert.Equal(-1, await reader.CountDescendantsAsync("/nope"));
        // Reads teach a gateway how far the distributor got.
        Assert.True(reader.AppliedZxid >= _stats["/a"].Mzxid);
    }

    [Fact]
    public async Task Deletes_remove_the_node_and_its_name_and_a_node_deleted_and_created_again_in_one_batch_starts_empty()
    {
        await ApplyAsync(CreateTxn("/d", "x"), CreateTxn("/d/k", "k"), CreateTxn("/e", "e"));
        await ApplyAsync(DeleteTxn("/e"));
        Assert.Null(await ReadAsync(_storage, "/e"));
        Assert.Equal(["d"], (await ReadAsync(_storage, "/"))!.Children);

        await ApplyAsync(DeleteTxn("/d/k"), DeleteTxn("/d"), CreateTxn("/d", "again"));
        var d = await ReadAsync(Create(Deployment.Clients), "/d");
        Assert.NotNull(d);
        Assert.Equal("again", Encoding.UTF8.GetString(d.Data!));
        Assert.Empty(d.Children);
        Assert.Null(await ReadAsync(_storage, "/d/k"));
        Assert.Equal(["d"], (await ReadAsync(_storage, "/"))!.Children);
    }

    [Fact]
    public async Task A_batch_that_adds_and_removes_children_of_one_parent_keeps_both()
    {
        await ApplyAsync(CreateTxn("/p", ""), CreateTxn("/p/old", ""));
        await ApplyAsync(DeleteTxn("/p/old"), CreateTxn("/p/new1", ""), CreateTxn("/p/new2", ""), CreateTxn("/p/tmp", ""), DeleteTxn("/p/tmp"));
        Assert.Equal(["new1", "new2"], (await ReadAsync(Create(Deployment.Clients), "/p"))!.Children.Order(StringComparer.Ordinal));
        Assert.Equal(_stats["/p"], (await ReadAsync(_storage, "/p"))!.Stat);
    }

    [Fact]
    public async Task The_applied_marker_is_kept_in_the_counters_table_and_a_redelivered_batch_is_not_applied_again()
    {
        var create = CreateTxn("/r", "first");
        var set = SetTxn("/r", Encoding.UTF8.GetBytes("second"));
        await ApplyAsync(create, set);

        // A new distributor instance (a restarted host, another Lambda environment) learns the marker.
        var distributorStorage = Create(Deployment.Clients);
        Assert.Equal(set.Zxid, await distributorStorage.RefreshAppliedZxidAsync());
        var outbox = new RecordingOutbox();
        var distributor = new DistributorFunction(distributorStorage, new DynamoSystemStorage(Deployment.Clients), outbox);
        // The first batch comes again, and with it a transaction not applied yet.
        var later = SetTxn("/r", Encoding.UTF8.GetBytes("third"));
        var stale = create with { Changes = [.. create.Changes.Select(c => c with { Data = c.Data is null ? null : Encoding.UTF8.GetBytes("stale") })] };
        await distributor.HandleBatchAsync([stale, set, later], CancellationToken.None);

        var r = await ReadAsync(Create(Deployment.Clients), "/r");
        Assert.Equal("third", Encoding.UTF8.GetString(r!.Data!));
        Assert.Equal(_stats["/r"], r.Stat);
        // Applied once, but every trigger is routed again: a crash after the apply may have kept them
        // from being sent, and nodes already carry stamps that name them (gateways skip the ones they handled).
        Assert.Equal([stale.Zxid, set.Zxid, later.Zxid], outbox.Triggered);
        Assert.Equal(later.Zxid, await Create(Deployment.Clients).RefreshAppliedZxidAsync());

        // The marker never goes back, whatever an older batch says.
        await ApplyAsync(stale);
        Assert.Equal(later.Zxid, await Create(Deployment.Clients).RefreshAppliedZxidAsync());
    }

    [Fact]
    public async Task Two_distributor_instances_taking_turns_lose_no_child()
    {
        // Consecutive batches of the one queue group in different Lambda execution environments.
        var other = Create(Deployment.Clients);
        await ApplyAsync(CreateTxn("/t", ""), CreateTxn("/t/a", ""));
        var b = CreateTxn("/t/b", "");
        await other.ApplyAsync([b], _ => { });
        await ApplyAsync(CreateTxn("/t/c", ""));
        await other.ApplyAsync([CreateTxn("/t/d", "")], _ => { });
        Assert.Equal(["a", "b", "c", "d"], (await ReadFreshAsync("/t"))!.Children.Order(StringComparer.Ordinal));
        Assert.Equal(_stats["/t"], (await ReadFreshAsync("/t"))!.Stat);
    }

    [Fact]
    public async Task Data_of_a_megabyte_round_trips()
    {
        byte[] big = new byte[1024 * 1024 - 100];
        Random.Shared.NextBytes(big);
        await ApplyAsync(CreateTxn("/big", ""));
        await ApplyAsync(SetTxn("/big", big));
        var node = await ReadAsync(Create(Deployment.Clients), "/big");
        Assert.Equal(big, node!.Data);
        Assert.Equal(_stats["/big"], node.Stat);
    }

    [Fact]
    public async Task Null_data_stays_null_and_apart_from_empty_data_through_creates_sets_and_parent_updates()
    {
        // ZooKeeper 3.8.0 keeps a create or setData sent with a -1 buffer as null and answers getData with -1.
        await ApplyAsync(CreateTxn("/n", null), CreateTxn("/e", ""));
        await ApplyAsync(CreateTxn("/n/child", "c"));
        Assert.Null((await ReadFreshAsync("/n"))!.Data);
        Assert.Equal(Array.Empty<byte>(), (await ReadFreshAsync("/e"))!.Data);

        await ApplyAsync(SetTxn("/e", null), SetTxn("/n", [1, 2]));
        Assert.Null((await ReadFreshAsync("/e"))!.Data);
        Assert.Equal(new byte[] { 1, 2 }, (await ReadFreshAsync("/n"))!.Data);

        // Null again, then a parent-only update (a child deleted) in the same batch keeps it null.
        await ApplyAsync(SetTxn("/n", null), DeleteTxn("/n/child"));
        var n = await ReadFreshAsync("/n");
        Assert.Null(n!.Data);
        Assert.Equal(_stats["/n"], n.Stat);
        await ApplyAsync(SetTxn("/e", []));
        Assert.Equal(Array.Empty<byte>(), (await ReadFreshAsync("/e"))!.Data);
    }

    [Fact]
    public async Task Quota_usage_is_kept_by_the_distributor_and_counted_once_when_a_batch_comes_again_grouped_otherwise()
    {
        const string Stats = "/zookeeper/quota/q/zookeeper_stats";
        var distributor = new DistributorFunction(_storage, new DynamoSystemStorage(Deployment.Clients), new RecordingOutbox(), skipsApplied: false);
        await distributor.HandleBatchAsync([CreateTxn("/zookeeper", ""), CreateTxn("/zookeeper/quota", ""), CreateTxn("/q", "ab"), CreateTxn("/q/a", "x")], CancellationToken.None);
        // setquota -n 10 /q, then a mixed workload, in one batch: the stats node is counted afresh
        // (the two nodes before the quota), then each change adds to it.
        Txn[] batch =
        [
            CreateTxn("/zookeeper/quota/q", ""),
            CreateTxn("/zookeeper/quota/q/zookeeper_limits", "count=10,bytes=-1"),
            CreateTxn(Stats, "count=0,bytes=0"),
            CreateTxn("/q/b", "yyy"),
            SetTxn("/q/a", Encoding.UTF8.GetBytes("xxxxx")),
            CreateTxn("/q/b/c", "1234"),
            DeleteTxn("/q/b/c"),
            CreateTxn("/other", "not counted"),
        ];
        await distributor.HandleBatchAsync(batch, CancellationToken.None);
        Assert.Equal("count=3,bytes=10", await DataAsync(Stats));

        // The same batch again (a crash after its writes, before the queue's acknowledgement), on a
        // new instance, then its tail in a batch with a new create: nothing is counted twice.
        var again = new DistributorFunction(Create(Deployment.Clients), new DynamoSystemStorage(Deployment.Clients), new RecordingOutbox(), skipsApplied: false);
        await again.HandleBatchAsync(batch, CancellationToken.None);
        Assert.Equal("count=3,bytes=10", await DataAsync(Stats));
        await again.HandleBatchAsync([.. batch[4..], CreateTxn("/q/d", "zz")], CancellationToken.None);
        Assert.Equal("count=4,bytes=12", await DataAsync(Stats));
        // The stats node keeps the Stat the client's create gave it, but for its data length.
        var stats = await ReadFreshAsync(Stats);
        Assert.Equal(_stats[Stats] with { DataLength = "count=4,bytes=12".Length }, stats!.Stat);
    }

    private async Task<string> DataAsync(string path) => Encoding.UTF8.GetString((await ReadFreshAsync(path))!.Data!);

    protected async Task<bool> ObjectExistsAsync(string key) => (await ObjectsUnderAsync(key)).Contains(key);

    protected async Task<List<string>> ObjectsUnderAsync(string prefix)
    {
        var list = await Deployment.Clients.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Deployment.Settings.BucketName, Prefix = prefix });
        return [.. (list.S3Objects ?? []).Select(o => o.Key)];
    }

    protected Task ApplyCreateAsync(string path, string data) => ApplyAsync(CreateTxn(path, data));

    protected Task ApplySetAsync(string path, byte[]? data) => ApplyAsync(SetTxn(path, data));

    protected Task ApplyDeleteAsync(string path) => ApplyAsync(DeleteTxn(path));

    protected Task<UserNode?> ReadFreshAsync(string path) => ReadAsync(Create(Deployment.Clients), path);

    private sealed class RecordingOutbox : IGatewayOutbox
    {
        public List<long> Triggered { get; } = [];

        public void Triggers(Txn txn) => Triggered.Add(txn.Zxid);

        public void Reply(ReplyAddress address, WriteResult result)
        {
        }

        public void SessionClosed(long sessionId, string? gatewayId)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}

public sealed class S3UserStorageContractTests : UserStorageContract
{
    protected override IAwsUserStorage Create(AwsClients clients) =>
        new S3UserStorage(clients.S3, clients.DynamoDb, clients.Settings.BucketName, clients.Settings.CountersTable);
}

public sealed class DynamoUserStorageContractTests : UserStorageContract
{
    protected override IAwsUserStorage Create(AwsClients clients) =>
        new DynamoUserStorage(clients.DynamoDb, clients.S3, clients.Settings.DataTable, clients.Settings.BucketName, clients.Settings.CountersTable);

    /// <summary>The spilled versions of a node's data in S3.</summary>
    private Task<List<string>> VersionsAsync(string path) => ObjectsUnderAsync(DynamoUserStorage.LegacyDataKey(path) + "@");

    [Fact]
    public async Task Data_too_large_for_an_item_goes_to_S3_behind_a_pointer_which_goes_when_the_data_shrinks_or_the_node_goes()
    {
        await ApplyCreateAsync("/big", "small");
        Assert.Empty(await VersionsAsync("/big"));

        byte[] big = new byte[DynamoUserStorage.DefaultItemLimit];
        Random.Shared.NextBytes(big);
        await ApplySetAsync("/big", big);
        var first = Assert.Single(await VersionsAsync("/big"));
        Assert.Equal(big, (await ReadFreshAsync("/big"))!.Data);

        // Each version has a key of its own; the older one goes once the item points to the newer.
        big[0] ^= 1;
        await ApplySetAsync("/big", big);
        var second = Assert.Single(await VersionsAsync("/big"));
        Assert.NotEqual(first, second);
        Assert.Equal(big, (await ReadFreshAsync("/big"))!.Data);

        await ApplySetAsync("/big", [1, 2, 3]);
        Assert.Empty(await VersionsAsync("/big"));
        Assert.Equal([1, 2, 3], (await ReadFreshAsync("/big"))!.Data);

        await ApplySetAsync("/big", big);
        Assert.Single(await VersionsAsync("/big"));
        await ApplySetAsync("/big", null);
        Assert.Empty(await VersionsAsync("/big"));
        Assert.Null((await ReadFreshAsync("/big"))!.Data);

        await ApplySetAsync("/big", big);
        Assert.Single(await VersionsAsync("/big"));
        await ApplyDeleteAsync("/big");
        Assert.Empty(await VersionsAsync("/big"));
        Assert.Null(await ReadFreshAsync("/big"));
    }

    [Fact]
    public async Task Data_spilled_by_the_code_before_versioned_keys_still_reads_and_its_object_goes_when_the_data_changes()
    {
        byte[] big = new byte[DynamoUserStorage.DefaultItemLimit];
        Random.Shared.NextBytes(big);
        await ApplyCreateAsync("/old", "");
        await ApplySetAsync("/old", big);
        // Made into what that code wrote: the object at nodes<path> (same format), no write stamp.
        string version = Assert.Single(await VersionsAsync("/old"));
        string legacy = DynamoUserStorage.LegacyDataKey("/old");
        var s3 = Deployment.Clients.S3;
        using (var stored = await s3.GetObjectAsync(Deployment.Settings.BucketName, version))
        {
            using var body = new MemoryStream();
            await stored.ResponseStream.CopyToAsync(body);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = Deployment.Settings.BucketName, Key = legacy, InputStream = new MemoryStream(body.ToArray()) });
        }
        await s3.DeleteObjectAsync(Deployment.Settings.BucketName, version);
        await Deployment.Clients.DynamoDb.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
        {
            TableName = Deployment.Settings.DataTable,
            Key = new() { ["path"] = new Amazon.DynamoDBv2.Model.AttributeValue { S = "/old" } },
            UpdateExpression = "SET dataRef = :legacy REMOVE z",
            ExpressionAttributeValues = new() { [":legacy"] = new Amazon.DynamoDBv2.Model.AttributeValue { S = legacy } },
        });
        Assert.Equal(big, (await ReadFreshAsync("/old"))!.Data);

        big[0] ^= 1;
        await ApplySetAsync("/old", big);
        Assert.Equal(big, (await ReadFreshAsync("/old"))!.Data);
        Assert.False(await ObjectExistsAsync(legacy));
        Assert.Single(await VersionsAsync("/old"));
    }

    [Fact]
    public async Task Children_that_push_an_item_past_DynamoDBs_limit_move_its_inline_data_to_S3()
    {
        // 340 KB of data fits inline; 120 children with 600-byte names add ~72 KB, past 400 KB.
        byte[] data = new byte[340 * 1024];
        Random.Shared.NextBytes(data);
        await ApplyCreateAsync("/wide", "");
        await ApplySetAsync("/wide", data);
        Assert.Empty(await VersionsAsync("/wide"));
        for (int i = 0; i < 120; i += 30)
        {
            for (int j = i; j < i + 30; j++)
            {
                await ApplyCreateAsync($"/wide/{j:D3}{new string('n', 597)}", "");
            }
        }
        var wide = await ReadFreshAsync("/wide");
        Assert.Equal(120, wide!.Children.Count);
        Assert.Equal(data, wide.Data);
        Assert.Single(await VersionsAsync("/wide"));
    }
}
