using System.Text;
using Amazon.S3.Model;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Aws.Tests;

/// <summary>A test message: an id (also its deduplication id) and a payload.</summary>
public sealed record TestMessage(string Id, byte[] Payload);

public sealed class TestMessageCodec : IMessageCodec<TestMessage>
{
    public byte[] Encode(TestMessage message)
    {
        byte[] id = Encoding.UTF8.GetBytes(message.Id);
        var bytes = new byte[1 + id.Length + message.Payload.Length];
        bytes[0] = (byte)id.Length;
        id.CopyTo(bytes, 1);
        message.Payload.CopyTo(bytes, 1 + id.Length);
        return bytes;
    }

    public TestMessage Decode(ReadOnlySpan<byte> body) =>
        new(Encoding.UTF8.GetString(body.Slice(1, body[0])), body[(1 + body[0])..].ToArray());

    public string DeduplicationId(TestMessage message) => message.Id;
}

/// <summary>One provisioned deployment for all queue tests; each test makes its own queue.</summary>
public sealed class QueueDeploymentFixture : IAsyncLifetime
{
    public EmulatorDeployment Deployment { get; private set; } = null!;

    public async Task InitializeAsync() => Deployment = await EmulatorDeployment.CreateAsync("sqs");

    public async Task DisposeAsync() => await Deployment.DisposeAsync();
}

public sealed class SqsOrderedQueueTests(QueueDeploymentFixture fixture) : IClassFixture<QueueDeploymentFixture>
{
    private AwsClients Clients => fixture.Deployment.Clients;

    private async Task<SqsOrderedQueue<TestMessage>> NewQueueAsync(TimeSpan? visibility = null, TimeSpan? longPoll = null)
    {
        string name = $"{fixture.Deployment.Settings.DeploymentName}-q{Guid.NewGuid().ToString("N")[..12]}.fifo";
        string url = await SqsQueues.CreateFifoAsync(Clients.Sqs, name, visibility);
        return new SqsOrderedQueue<TestMessage>(Clients, url, new TestMessageCodec(), longPoll);
    }

    private static TestMessage Message(int i) => new($"m{i}", Encoding.UTF8.GetBytes($"payload {i}"));

    /// <summary>Receives and acknowledges batches until <paramref name="count"/> messages came.</summary>
    private static async Task<List<TestMessage>> ReceiveAllAsync(SqsOrderedQueue<TestMessage> queue, int count, int maxBatch = 10)
    {
        var all = new List<TestMessage>();
        while (all.Count < count)
        {
            var batch = await queue.ReceiveBatchAsync(maxBatch);
            Assert.NotEqual(0, batch.Count);
            Assert.True(batch.Count <= maxBatch);
            all.AddRange(batch.Messages);
            await queue.AcknowledgeAsync(batch);
        }
        return all;
    }

    [Fact]
    public async Task Messages_keep_their_order_across_send_batches_of_ten()
    {
        using var queue = await NewQueueAsync();
        await queue.SendBatchAsync([.. Enumerable.Range(0, 23).Select(Message)]);
        await queue.SendAsync(Message(23));
        await queue.SendBatchAsync([.. Enumerable.Range(24, 11).Select(Message)]);

        var received = await ReceiveAllAsync(queue, 35, maxBatch: 25);
        Assert.Equal(Enumerable.Range(0, 35).Select(i => $"m{i}"), received.Select(m => m.Id));
        Assert.Equal("payload 34", Encoding.UTF8.GetString(received[34].Payload));
    }

    [Fact]
    public async Task Concurrent_sends_are_queued_in_call_order()
    {
        // A gateway sends a session's pipelined writes without waiting for the previous send: the
        // queue order must be the call order, not the order the HTTP requests happen to arrive in.
        using var queue = await NewQueueAsync();
        var sends = Enumerable.Range(0, 40).Select(i => queue.SendAsync(Message(i)).AsTask()).ToList();
        await Task.WhenAll(sends);
        var received = await ReceiveAllAsync(queue, 40, maxBatch: 40);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"m{i}"), received.Select(m => m.Id));
    }

    [Fact]
    public async Task Sends_above_256_KB_per_call_are_split_and_keep_their_order()
    {
        using var queue = await NewQueueAsync();
        // 110 KB each: inline (about 147 KB of base64), but no two fit into one 256 KiB call.
        var messages = Enumerable.Range(0, 5).Select(i =>
        {
            byte[] payload = new byte[110 * 1024];
            Random.Shared.NextBytes(payload);
            return new TestMessage($"m{i}", payload);
        }).ToList();
        await queue.SendBatchAsync(messages);
        var received = await ReceiveAllAsync(queue, 5);
        Assert.Equal(messages.Select(m => m.Id), received.Select(m => m.Id));
        Assert.Equal(messages[4].Payload, received[4].Payload);
        Assert.Empty(await ListAsync("payloads/queue/"));
    }

    [Fact]
    public async Task A_resent_message_with_the_same_deduplication_id_is_delivered_once()
    {
        using var queue = await NewQueueAsync();
        await queue.SendAsync(Message(1));
        await queue.SendAsync(Message(1));
        await queue.SendBatchAsync([Message(1), Message(2)]);
        await queue.SendAsync(Message(3));
        var received = await ReceiveAllAsync(queue, 3);
        Assert.Equal(["m1", "m2", "m3"], received.Select(m => m.Id));
    }

    [Fact]
    public async Task An_unacknowledged_batch_is_delivered_again_after_the_visibility_timeout()
    {
        using var queue = await NewQueueAsync(visibility: TimeSpan.FromSeconds(1));
        await queue.SendBatchAsync([Message(1), Message(2)]);
        var first = await queue.ReceiveBatchAsync(10);
        Assert.Equal("m1", first.Messages[0].Id);
        // No acknowledgement: the consumer "crashed". The same messages come again, in order (the
        // group is blocked meanwhile: nothing after them is handed out while they are in flight).
        var again = await queue.ReceiveBatchAsync(10);
        Assert.Equal(first.Messages.Select(m => m.Id), again.Messages.Select(m => m.Id));
        await queue.AcknowledgeAsync(again);
        await queue.SendAsync(Message(3));
        var rest = await ReceiveAllAsync(queue, 3 - again.Count);
        Assert.Equal(new[] { "m1", "m2", "m3" }.Skip(again.Count), rest.Select(m => m.Id));
    }

    [Fact]
    public async Task A_dead_consumers_batch_comes_back_within_the_lease_not_the_queues_visibility_timeout()
    {
        // The queue's own visibility timeout is five minutes: only the short receive lease lets the
        // second consumer have the batch before the test's timeout.
        using var queue = await NewQueueAsync(visibility: TimeSpan.FromMinutes(5));
        await queue.SendAsync(Message(1));
        var dead = new SqsOrderedQueue<TestMessage>(Clients, queue.QueueUrl, new TestMessageCodec());
        var first = await dead.ReceiveBatchAsync(10);
        Assert.Equal("m1", first.Messages[0].Id);
        dead.Dispose();   // the consumer stops renewing without acknowledging, as a killed process does
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var again = await queue.ReceiveBatchAsync(10, timeout.Token);
        Assert.Equal("m1", again.Messages[0].Id);
        // The batch is known as a later delivery (the writer's locks let it take over the dead one's).
        Assert.Equal((1, 2), (first.Delivery, again.Delivery));
        await queue.AcknowledgeAsync(again);
    }

    [Fact]
    public async Task A_live_consumer_keeps_its_batch_hidden_past_the_lease_by_renewing_it()
    {
        using var queue = await NewQueueAsync(visibility: TimeSpan.FromMinutes(5));
        await queue.SendAsync(Message(1));
        using var other = new SqsOrderedQueue<TestMessage>(Clients, queue.QueueUrl, new TestMessageCodec());
        var held = await queue.ReceiveBatchAsync(10);
        // Three leases long, the other consumer must get nothing: without renewals the message would
        // be visible again after one.
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(3 * VisibilityLease.Seconds));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await other.ReceiveBatchAsync(10, window.Token));
        await queue.AcknowledgeAsync(held);
    }

    [Fact]
    public async Task A_300_KB_message_travels_through_S3_and_its_payload_goes_with_the_acknowledgement()
    {
        using var queue = await NewQueueAsync();
        byte[] big = new byte[300 * 1024];
        Random.Shared.NextBytes(big);
        await queue.SendBatchAsync([Message(1), new TestMessage("big", big), Message(2)]);
        Assert.Single(await ListAsync("payloads/queue/"));

        var received = await ReceiveAllAsync(queue, 3);
        Assert.Equal(["m1", "big", "m2"], received.Select(m => m.Id));
        Assert.Equal(big, received[1].Payload);
        Assert.Empty(await ListAsync("payloads/queue/"));
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        var response = await Clients.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = fixture.Deployment.Settings.BucketName, Prefix = prefix });
        return [.. (response.S3Objects ?? []).Select(o => o.Key)];
    }

    [Fact]
    public async Task Complete_ends_a_waiting_receive_with_an_empty_batch_after_draining()
    {
        using var queue = await NewQueueAsync();
        await queue.SendAsync(Message(1));
        var first = await queue.ReceiveBatchAsync(10);
        await queue.AcknowledgeAsync(first);

        var waiting = queue.ReceiveBatchAsync(10).AsTask();
        queue.Complete();
        Assert.Equal(0, (await waiting).Count);
        Assert.Equal(0, (await queue.ReceiveBatchAsync(10)).Count);
    }

    [Fact]
    public async Task Cancelling_a_waiting_receive_throws_promptly()
    {
        using var queue = await NewQueueAsync();
        using var cancel = new CancellationTokenSource();
        var waiting = queue.ReceiveBatchAsync(10, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task Gateway_inboxes_are_created_on_demand_and_deleted()
    {
        string url = await SqsQueues.CreateInboxAsync(Clients, "gw1");
        Assert.EndsWith($"{fixture.Deployment.Settings.DeploymentName}-inbox-gw1.fifo", url);
        Assert.Equal(url, await SqsQueues.CreateInboxAsync(Clients, "gw1"));
        await SqsQueues.DeleteInboxAsync(Clients, "gw1");
        await SqsQueues.DeleteInboxAsync(Clients, "gw1");
        await Assert.ThrowsAsync<Amazon.SQS.Model.QueueDoesNotExistException>(() => SqsQueues.GetUrlAsync(Clients.Sqs, fixture.Deployment.Settings.InboxQueue("gw1")));
    }
}
