using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// Watch event before data across paths (issue 3, docs/serverless.md "Watch event before data across
/// paths"), on the whole serverless pipeline against the emulators: the functions, a writing gateway,
/// and a watching gateway whose inbox handling is held (the <see cref="Failpoints.GatewayInbox"/>
/// failpoint, armed for that gateway only) while the other gateway writes /a, then /b. The watching gateway's read of /b must not
/// be answered before the event of /a's watch was delivered.
/// </summary>
[Collection(FailpointCollection.Name)]
public sealed class EpochStampTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(UserStorageMode.Persistent)]
    [InlineData(UserStorageMode.KeyValue)]
    public async Task A_read_of_another_path_waits_for_the_inbox_to_deliver_the_watch_event_first(UserStorageMode mode)
    {
        await using var stack = await Stack.StartAsync(mode);
        var log = new EventLog();
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-epoch-hold-{Guid.NewGuid():N}");
        await using var watching = await stack.GatewayAsync("gw-watching", log, hold, epochWaitMs: 20_000);
        await using var writing = await stack.GatewayAsync("gw-writing", new EventLog());
        long session = (await writing.CreateSessionAsync(30_000)).SessionId;
        await WriteAsync(writing, session, new CreateOperation("/a", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        await WriteAsync(writing, session, new CreateOperation("/b", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        const long watcher = 7;

        try
        {
            // 1. Two writes in two distributor batches, with a restart of the functions in between: the
            //    batch that writes /b runs in a new instance, which knows of /a's trigger only from the
            //    ledger in the counters table.
            Assert.True((await watching.GetDataAsync("/a", watcher)).IsOk);
            File.WriteAllText(hold, "");
            await WriteAsync(writing, session, new SetDataOperation("/a", [1], -1));
            await stack.RestartFunctionsAsync();
            await WriteAsync(writing, session, new SetDataOperation("/b", [1], -1));
            await ExpectHeldReadAsync(watching, log, hold, "/b", [1], "NodeDataChanged /a");

            // 2. One transaction (a multi) that changes both.
            Assert.True((await watching.GetDataAsync("/a", watcher)).IsOk);
            File.WriteAllText(hold, "");
            await WriteAsync(writing, session, new MultiOperation([new SetDataOperation("/a", [2], -1), new SetDataOperation("/b", [2], -1)]));
            await ExpectHeldReadAsync(watching, log, hold, "/b", [2], "NodeDataChanged /a");

            // 3. A child watch on / and a create under it: a read of the new node waits for the event too.
            Assert.True((await watching.GetChildrenAsync("/", watcher)).IsOk);
            File.WriteAllText(hold, "");
            await WriteAsync(writing, session, new CreateOperation("/c", [3], Acl.OpenAclUnsafe, CreateMode.Persistent));
            await ExpectHeldReadAsync(watching, log, hold, "/c", [3], "NodeChildrenChanged /");

            Assert.Equal(3, Monitor(await watching.GetStatisticsAsync(), "epoch_read_waits"));
            Assert.Equal(0, Monitor(await watching.GetStatisticsAsync(), "epoch_read_wait_timeouts"));

            // Once the inbox has caught up, reads of stamped nodes do not wait; nor do they on a
            // gateway that holds no watch (the writing one reads the same stamped nodes).
            Assert.Equal([2], (await watching.GetDataAsync("/b", null)).Value!.Data);
            Assert.Equal([2], (await writing.GetDataAsync("/b", null)).Value!.Data);
            Assert.Equal(3, Monitor(await watching.GetStatisticsAsync(), "epoch_read_waits"));
            Assert.Equal(0, Monitor(await writing.GetStatisticsAsync(), "epoch_read_waits"));
        }
        finally
        {
            File.Delete(hold);
        }
    }

    [Theory]
    [InlineData(UserStorageMode.Persistent)]
    [InlineData(UserStorageMode.KeyValue)]
    public async Task A_read_that_finds_no_node_waits_for_the_inbox_to_deliver_the_watch_event_first(UserStorageMode mode)
    {
        await using var stack = await Stack.StartAsync(mode);
        var log = new EventLog();
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-epoch-hold-{Guid.NewGuid():N}");
        await using var watching = await stack.GatewayAsync("gw-watching", log, hold, epochWaitMs: 20_000);
        await using var writing = await stack.GatewayAsync("gw-writing", new EventLog());
        long session = (await writing.CreateSessionAsync(30_000)).SessionId;
        foreach (string path in new[] { "/a", "/b", "/c" })
        {
            await WriteAsync(writing, session, new CreateOperation(path, [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        }
        const long watcher = 7;

        try
        {
            // 1. set /a, then delete /b, in two distributor batches: a deletion leaves no node to carry
            //    a stamp, the NoNode answer must still come after /a's event.
            Assert.True((await watching.GetDataAsync("/a", watcher)).IsOk);
            File.WriteAllText(hold, "");
            await WriteAsync(writing, session, new SetDataOperation("/a", [1], -1));
            await WriteAsync(writing, session, new DeleteOperation("/b", -1));
            await ExpectHeldNoNodeAsync(watching, log, hold, "/b", "NodeDataChanged /a");

            // 2. Both in one transaction (one batch).
            Assert.True((await watching.GetDataAsync("/a", watcher)).IsOk);
            File.WriteAllText(hold, "");
            await WriteAsync(writing, session, new MultiOperation([new SetDataOperation("/a", [2], -1), new DeleteOperation("/c", -1)]));
            await ExpectHeldNoNodeAsync(watching, log, hold, "/c", "NodeDataChanged /a");

            Assert.Equal(2, Monitor(await watching.GetStatisticsAsync(), "epoch_read_waits"));
            Assert.Equal(0, Monitor(await watching.GetStatisticsAsync(), "epoch_read_wait_timeouts"));

            // Caught up: NoNode reads do not wait; a gateway without watches does not even ask.
            Assert.Equal(ErrorCode.NoNode, (await watching.ExistsAsync("/b", null)).Error);
            Assert.Equal(ErrorCode.NoNode, (await writing.ExistsAsync("/b", null)).Error);
            Assert.Equal(2, Monitor(await watching.GetStatisticsAsync(), "epoch_read_waits"));
        }
        finally
        {
            File.Delete(hold);
        }
    }

    /// <summary>
    /// The late registration: the watching gateway registers its first interest in /a while a batch
    /// of two transactions (set /a, then set /b) is between its interest lookup and its writes, and
    /// reads the old /a. The batch's stamps cannot name it; its read of /b must still wait for /a's
    /// event, and it waits for the batch's Mark (the trigger of /a is at a lower zxid than /b's change).
    /// <para>
    /// The emulator's FIFO queue hands out one message per receive, so the batch of two is made by the
    /// functions' start-up, which applies the whole pending list as one batch.
    /// </para>
    /// </summary>
    [Theory]
    [InlineData(UserStorageMode.Persistent)]
    [InlineData(UserStorageMode.KeyValue)]
    public async Task A_gateway_that_registers_its_first_interest_while_a_batch_is_planned_waits_for_that_batch(UserStorageMode mode)
    {
        string pause = Path.Combine(Path.GetTempPath(), $"zkgw-epoch-pause-{Guid.NewGuid():N}");
        string held = pause + ".held";
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-epoch-hold-{Guid.NewGuid():N}");
        await using var stack = await Stack.StartAsync(mode, distributorHold: pause);
        var log = new EventLog();
        await using var watching = await stack.GatewayAsync("gw-late", log, hold, epochWaitMs: 5_000);
        await using var writing = await stack.GatewayAsync("gw-writing", new EventLog());
        long session = (await writing.CreateSessionAsync(30_000)).SessionId;
        await WriteAsync(writing, session, new CreateOperation("/a", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        await WriteAsync(writing, session, new CreateOperation("/b", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        using var clients = new AwsClients(stack.Settings);
        var system = new DynamoSystemStorage(clients);
        try
        {
            // 1. A batch (create /x) stops at the hold; set /a and set /b are committed behind it. The
            //    functions stop there: the three are pending, none applied.
            File.WriteAllText(pause, "");
            var writes = new[]
            {
                WriteAsync(writing, session, new CreateOperation("/x", [], Acl.OpenAclUnsafe, CreateMode.Persistent)),
                WriteAsync(writing, session, new SetDataOperation("/a", [1], -1)),
                WriteAsync(writing, session, new SetDataOperation("/b", [1], -1)),
            };
            await WaitForFileAsync(held);
            var deadline = DateTime.UtcNow + Long;
            while ((await system.GetPendingAsync()).Count < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "set /a and set /b were not committed");
                await Task.Delay(50);
            }
            await stack.StopFunctionsAsync();
            File.Delete(held);

            // 2. Started again, the functions apply the pending list as one batch, which stops after
            //    its interest lookup, before its writes. Now the watching gateway registers its first
            //    interest (in /a) and reads the old state.
            var start = stack.StartFunctionsAsync();
            await WaitForFileAsync(held);
            Assert.Equal([0], (await watching.GetDataAsync("/a", 7)).Value!.Data);
            File.WriteAllText(hold, "");
            File.Delete(pause);
            await start;
            await Task.WhenAll(writes);

            // One batch wrote both (same batch zxid in their stamps), naming no gateway.
            IUserStorage user = mode == UserStorageMode.KeyValue
                ? new DynamoUserStorage(clients.DynamoDb, clients.S3, stack.Settings.DataTable, stack.Settings.BucketName, stack.Settings.CountersTable)
                : new S3UserStorage(clients.S3, clients.DynamoDb, stack.Settings.BucketName, stack.Settings.CountersTable);
            var stampA = await user.ReadAsync("/a", (node, _) => node!.Epoch);
            var stampB = await user.ReadAsync("/b", (node, _) => node!.Epoch);
            Assert.True(stampA?.Generation is not null && stampB?.Generation is not null, $"stamps {stampA} / {stampB}");
            Assert.Equal(stampA!.BatchZxid, stampB!.BatchZxid);
            Assert.Empty(stampB.Entries);

            // 3. The batch routed /a's trigger to the gateway (second lookup) and ended its message with
            //    a Mark at the batch's last zxid: the read of /b waits for that message, and no longer.
            await ExpectHeldReadAsync(watching, log, hold, "/b", [1], "NodeDataChanged /a");
            Assert.Equal(1, Monitor(await watching.GetStatisticsAsync(), "epoch_read_waits"));
            Assert.Equal(0, Monitor(await watching.GetStatisticsAsync(), "epoch_read_wait_timeouts"));

            // Settled: the next reads do not wait.
            Assert.Equal([1], (await watching.GetDataAsync("/b", null)).Value!.Data);
            Assert.Equal(1, Monitor(await watching.GetStatisticsAsync(), "epoch_read_waits"));
        }
        finally
        {
            File.Delete(pause);
            File.Delete(held);
            File.Delete(hold);
        }
    }

    private static async Task WaitForFileAsync(string path)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!File.Exists(path))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} never appeared (the distributor batch never reached the hold)");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Registrations_no_batch_can_find_late_any_more_are_cleared_from_the_applied_item()
    {
        await using var stack = await Stack.StartAsync(UserStorageMode.KeyValue);
        await using var writing = await stack.GatewayAsync("gw-writing", new EventLog());
        long session = (await writing.CreateSessionAsync(30_000)).SessionId;
        using var clients = new AwsClients(stack.Settings);
        for (int i = 0; i < 9; i++)
        {
            var interest = new DynamoWatchInterest(clients.DynamoDb, stack.Settings.WatchesTable, stack.Settings.CountersTable, $"gw-gone-{i}");
            await interest.AddAsync("/p", WatchKind.Data);
            Assert.False(interest.Registrations.IsEmpty);
        }
        // A batch planned after all nine reads a generation at or above each: none is late, and the
        // raise of the applied marker clears them (the generation stays).
        await WriteAsync(writing, session, new CreateOperation("/p", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        var applied = (await clients.DynamoDb.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = stack.Settings.CountersTable,
            Key = new() { ["name"] = new Amazon.DynamoDBv2.Model.AttributeValue { S = "applied" } },
            ConsistentRead = true,
        })).Item;
        Assert.DoesNotContain(applied.Keys, k => k.StartsWith("reg-", StringComparison.Ordinal));
        Assert.Equal("9", applied["gen"].N);
    }

    [Fact]
    public async Task A_read_waits_at_most_the_bound_and_is_counted()
    {
        await using var stack = await Stack.StartAsync(UserStorageMode.Persistent);
        var log = new EventLog();
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-epoch-hold-{Guid.NewGuid():N}");
        await using var watching = await stack.GatewayAsync("gw-bounded", log, hold, epochWaitMs: 700);
        await using var writing = await stack.GatewayAsync("gw-writing", new EventLog());
        long session = (await writing.CreateSessionAsync(30_000)).SessionId;
        await WriteAsync(writing, session, new CreateOperation("/x", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        await WriteAsync(writing, session, new CreateOperation("/y", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        try
        {
            Assert.True((await watching.GetDataAsync("/x", 9)).IsOk);
            File.WriteAllText(hold, "");
            await WriteAsync(writing, session, new SetDataOperation("/x", [1], -1));
            await WriteAsync(writing, session, new SetDataOperation("/y", [1], -1));

            var started = System.Diagnostics.Stopwatch.StartNew();
            var read = await watching.GetDataAsync("/y", null);
            Assert.True(started.ElapsedMilliseconds >= 650, $"answered after {started.ElapsedMilliseconds} ms");
            Assert.Equal([1], read.Value!.Data);
            Assert.Empty(log.Entries);
            Assert.Equal(1, Monitor(await watching.GetStatisticsAsync(), "epoch_read_wait_timeouts"));

            // The event is late, not lost.
            File.Delete(hold);
            await log.WaitForAsync("event NodeDataChanged /x", Long);
        }
        finally
        {
            File.Delete(hold);
        }
    }

    [Fact]
    public async Task A_gateway_restarted_with_the_same_id_does_not_wait_for_triggers_of_its_previous_run()
    {
        await using var stack = await Stack.StartAsync(UserStorageMode.KeyValue);
        string id = $"gw-fixed-{Guid.NewGuid():N}"[..20];
        await using var writing = await stack.GatewayAsync("gw-writing", new EventLog());
        long session = (await writing.CreateSessionAsync(30_000)).SessionId;
        await WriteAsync(writing, session, new CreateOperation("/m", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));
        await WriteAsync(writing, session, new CreateOperation("/n", [0], Acl.OpenAclUnsafe, CreateMode.Persistent));

        var firstLog = new EventLog();
        var first = await stack.GatewayAsync(id, firstLog, exactId: true);
        Assert.True((await first.GetDataAsync("/m", 1)).IsOk);
        await WriteAsync(writing, session, new SetDataOperation("/m", [1], -1));
        await firstLog.WaitForAsync("event NodeDataChanged /m", Long);
        await stack.StopGatewayAsync(first);

        // /n is stamped with the trigger the first run handled; the second run never gets it.
        await WriteAsync(writing, session, new SetDataOperation("/n", [1], -1));
        await using var second = await stack.GatewayAsync(id, new EventLog(), exactId: true);
        Assert.True((await second.GetDataAsync("/m", 2)).IsOk);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal([1], (await second.GetDataAsync("/n", null)).Value!.Data);
        Assert.Equal(0, Monitor(await second.GetStatisticsAsync(), "epoch_read_waits"));
        Assert.True(started.ElapsedMilliseconds < 1500, $"answered after {started.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// With the inbox held, the read must stay unanswered and no event delivered; once the inbox is
    /// released, the event comes first and then the read, with the new data.
    /// </summary>
    private static async Task ExpectHeldReadAsync(FaaSBackend gateway, EventLog log, string hold, string path, byte[] expected, string expectedEvent)
    {
        var result = await ExpectHeldAsync(log, hold, path, $"the read of {path}", () => gateway.GetDataAsync(path, null).AsTask(), expectedEvent);
        Assert.Equal(expected, result.Value!.Data);
    }

    /// <summary><see cref="ExpectHeldReadAsync"/> for an exists of a deleted node: held, then NoNode after the event.</summary>
    private static async Task ExpectHeldNoNodeAsync(FaaSBackend gateway, EventLog log, string hold, string path, string expectedEvent)
    {
        var result = await ExpectHeldAsync(log, hold, path, $"exists({path})", () => gateway.ExistsAsync(path, null).AsTask(), expectedEvent);
        Assert.Equal(ErrorCode.NoNode, result.Error);
    }

    /// <summary>
    /// Starts a read while the inbox is held: it must stay unanswered, with no event delivered, for 1.5 s;
    /// once the hold is released, the event must come before the reply. Returns the read's result.
    /// </summary>
    private static async Task<T> ExpectHeldAsync<T>(EventLog log, string hold, string path, string what, Func<Task<T>> start, string expectedEvent)
    {
        log.Clear();
        var read = start();
        await Task.Delay(1500);
        Assert.False(read.IsCompleted, $"{what} was answered while the inbox was held (event log: {string.Join(", ", log.Entries)})");
        Assert.Empty(log.Entries);
        File.Delete(hold);
        var result = await read.WaitAsync(Long);
        log.Add($"reply {path}");
        Assert.Equal([$"event {expectedEvent}", $"reply {path}"], log.Entries);
        return result;
    }

    private static async Task WriteAsync(FaaSBackend gateway, long session, WriteOperation operation)
    {
        var result = await gateway.SubmitAsync(session, operation).WaitAsync(Long);
        Assert.Equal(ErrorCode.Ok, result.Error);
        foreach (var op in result.MultiResults ?? [])
        {
            Assert.Equal(ErrorCode.Ok, op.Error);
        }
    }

    private static long Monitor(BackendStatistics statistics, string key) =>
        long.Parse((statistics.MonitorValues ?? []).Single(kv => kv.Key == key).Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The events a gateway delivers, in order, and the test's own marks between them.</summary>
    private sealed class EventLog : INotificationSink
    {
        private readonly List<string> _entries = [];

        public IReadOnlyList<string> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public void Add(string entry)
        {
            lock (_entries)
            {
                _entries.Add(entry);
            }
        }

        public void Clear()
        {
            lock (_entries)
            {
                _entries.Clear();
            }
        }

        public void Deliver(long watcher, WatchEvent watchEvent) => Add($"event {watchEvent.Type} {watchEvent.Path}");

        public void SessionClosed(long sessionId)
        {
        }

        public async Task WaitForAsync(string entry, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!Entries.Contains(entry))
            {
                Assert.True(DateTime.UtcNow < deadline, $"no '{entry}' within {timeout} (log: {string.Join(", ", Entries)})");
                await Task.Delay(50);
            }
        }
    }

    /// <summary>A provisioned deployment with its functions running in this process (as the function host runs them).</summary>
    private sealed class Stack : IAsyncDisposable
    {
        private readonly List<FaaSBackend> _gateways = [];
        private readonly List<IDisposable> _failpoints = [];
        private AwsFunctions _functions = null!;
        private CancellationTokenSource _running = new();
        private Task _run = Task.CompletedTask;

        private Stack(AwsSettings settings)
        {
            Settings = settings;
        }

        public AwsSettings Settings { get; }

        public static async Task<Stack> StartAsync(UserStorageMode mode, string? distributorHold = null)
        {
            // A batch cut off by a restart comes again after 10 s, not SQS's default 30 s.
            var settings = await AwsEmulators.NewDeploymentAsync("ep") with { UserStorage = mode, QueueVisibilityTimeout = TimeSpan.FromSeconds(10) };
            await AwsProvisioner.ProvisionAsync(settings);
            var stack = new Stack(settings);
            if (distributorHold is not null)
            {
                // Every distributor of this process: the collection runs alone.
                stack._failpoints.Add(Failpoints.Arm($"{Failpoints.DistributorBeforeApply}=pause({distributorHold})"));
            }
            await stack.StartFunctionsAsync();
            return stack;
        }

        public async Task StartFunctionsAsync()
        {
            _functions = await AwsFunctions.StartAsync(Settings, new BackendOptions { TickTime = 2000 });
            _running = new CancellationTokenSource();
            _run = Task.Run(() => _functions.RunAsync(_running.Token));
        }

        /// <summary>A new instance of the functions: nothing the old one held in memory survives.</summary>
        public async Task RestartFunctionsAsync()
        {
            // The reply went out before the batch was acknowledged: let that finish.
            await Task.Delay(1000);
            await StopFunctionsAsync();
            await StartFunctionsAsync();
        }

        public async Task StopFunctionsAsync()
        {
            await _running.CancelAsync();
            await _run.WaitAsync(Long);
            await _functions.DisposeAsync();
            _running.Dispose();
        }

        public async Task<FaaSBackend> GatewayAsync(string id, INotificationSink sink, string? holdFile = null, int epochWaitMs = 2000, bool exactId = false)
        {
            var options = new BackendOptions { GatewayId = exactId ? id : $"{id}-{Guid.NewGuid():N}"[..(id.Length + 9)], TickTime = 2000, EpochWaitMs = epochWaitMs };
            if (holdFile is not null)
            {
                // This gateway's inbox only: the writing gateway of the same test gets its replies through its own.
                _failpoints.Add(Failpoints.Arm($"{Failpoints.GatewayInbox}@{options.GatewayId}=pause({holdFile})"));
            }
            var gateway = await ZkGateway.Backend.Aws.AwsDeployment.StartGatewayAsync(Settings, options, sink);
            _gateways.Add(gateway);
            return gateway;
        }

        public async Task StopGatewayAsync(FaaSBackend gateway)
        {
            _gateways.Remove(gateway);
            await gateway.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await StopFunctionsAsync();
                await AwsProvisioner.DeleteAsync(Settings);
            }
            finally
            {
                foreach (var armed in _failpoints)
                {
                    armed.Dispose();
                }
            }
        }
    }
}
