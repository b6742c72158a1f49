using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.SQS.Model;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Metering;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The cost meter's billing units on the emulators: DynamoDB's consumed capacity, read and write apart
/// (what DynamoDB Local reports, and AWS's documented rules where it reports wrongly), SQS per 64 KB
/// chunk; and the span each cloud call leaves. Also pins how DynamoDB Local deviates from AWS, which is
/// why the meter computes those units itself on an emulator (<see cref="DynamoCapacity"/>).
/// </summary>
public sealed class ConsumedCapacityTests : IAsyncLifetime
{
    private EmulatorDeployment _deployment = null!;
    private readonly CostMeter _meter = new();

    public async Task InitializeAsync()
    {
        _deployment = await EmulatorDeployment.CreateAsync("cu");
        AwsCostMetering.Attach(_deployment.Clients, _meter);
    }

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    private IAmazonDynamoDB Dynamo => _deployment.Clients.DynamoDb;

    private string Table => _deployment.Settings.CountersTable;

    private static Dictionary<string, AttributeValue> Item(string name, int bytes) =>
        new() { ["name"] = new(name), ["blob"] = new() { B = new MemoryStream(new byte[bytes]) } };

    private (double Read, double Write, long Calls) Units(string api)
    {
        var lines = _meter.Snapshot().Where(l => l.Service == "dynamodb" && l.Api == api).ToList();
        return ((double)lines.Sum(l => l.ReadUnits), (double)lines.Sum(l => l.WriteUnits), lines.Sum(l => l.Calls));
    }

    [Fact]
    public async Task DynamoDB_Local_reports_transactions_and_missing_batch_keys_unlike_AWS()
    {
        // AWS: a transactional write of an item under 1 KB costs 2 write units; DynamoDB Local 1.25.1
        // reports 4. If this fails, the emulator was fixed: drop the computed units (DynamoCapacity).
        var transaction = await Dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
            TransactItems = [new() { Put = new() { TableName = Table, Item = Item("pin-tx", 10) } }],
        });
        Assert.Equal(4.0, transaction.ConsumedCapacity.Sum(c => c.CapacityUnits ?? 0));
        // AWS: a consistent read of a key that is not there costs a read unit; DynamoDB Local reports 0.
        var batch = await Dynamo.BatchGetItemAsync(new BatchGetItemRequest
        {
            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
            RequestItems = new() { [Table] = new KeysAndAttributes { ConsistentRead = true, Keys = [new() { ["name"] = new("pin-missing") }] } },
        });
        Assert.Equal(0.0, batch.ConsumedCapacity.Sum(c => c.CapacityUnits ?? 0));
    }

    [Fact]
    public async Task DynamoDB_calls_are_counted_in_the_capacity_units_they_consumed()
    {
        // Per started KB written, per started 4 KB read, half for an eventually consistent read.
        await Dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = Item("big", 9000) });
        Assert.Equal((0, 9, 1), Units("PutItem"));
        await Dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = new() { ["name"] = new("big") }, ConsistentRead = true });
        await Dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = new() { ["name"] = new("big") } });
        Assert.Equal((4.5, 0, 2), Units("GetItem"));

        // Computed on the emulator: two units per KB of a transaction's item, two per ConditionCheck.
        await Dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Put = new() { TableName = Table, Item = Item("tx", 1500) } },
                new() { ConditionCheck = new() { TableName = Table, Key = new() { ["name"] = new("big") }, ConditionExpression = "attribute_exists(#n)", ExpressionAttributeNames = new() { ["#n"] = "name" } } },
            ],
        });
        Assert.Equal((0, 6, 1), Units("TransactWriteItems"));
        await Dynamo.BatchGetItemAsync(new BatchGetItemRequest
        {
            RequestItems = new() { [Table] = new KeysAndAttributes { ConsistentRead = true, Keys = [new() { ["name"] = new("tx") }, new() { ["name"] = new("nothing") }] } },
        });
        Assert.Equal((2, 0, 1), Units("BatchGetItem"));

        // A failed condition is still billed (a write unit); the call counts.
        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => Dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = Table,
            Key = new() { ["name"] = new("absent") },
            UpdateExpression = "SET #v = :v",
            ConditionExpression = "attribute_exists(#v)",
            ExpressionAttributeNames = new() { ["#v"] = "value" },
            ExpressionAttributeValues = new() { [":v"] = new() { N = "1" } },
        }));
        Assert.Equal((0, 1, 1), Units("UpdateItem"));

        // Read units at the read price, write units at the write price.
        var put = _meter.Snapshot().Single(l => l.Api == "PutItem");
        Assert.Equal(9 * Prices.DynamoWriteUnit, put.Usd);
    }

    [Fact]
    public async Task SQS_requests_are_billed_per_64_KB_chunk_and_every_call_leaves_a_span()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == CloudTrace.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var sqs = _deployment.Clients.Sqs;
        string url = await SqsQueues.GetUrlAsync(sqs, _deployment.Settings.WriterQueue);
        string body = new('a', 100_000);
        var sent = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = url,
            Entries = [new() { Id = "0", MessageBody = body, MessageGroupId = "0", MessageDeduplicationId = "gw-t-1" }],
        });
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, WaitTimeSeconds = 5 });
        await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest { QueueUrl = url, Entries = [new() { Id = "0", ReceiptHandle = received.Messages[0].ReceiptHandle }] });

        long UnitsOf(string api) => _meter.Snapshot().Where(l => l.Service == "sqs" && l.Api == api).Sum(l => l.Units);
        Assert.Equal(2, UnitsOf("SendMessageBatch"));
        Assert.Equal(2, UnitsOf("ReceiveMessage"));
        Assert.Equal(1, UnitsOf("DeleteMessageBatch"));

        string messageId = sent.Successful[0].MessageId;
        Activity Call(string api) => Assert.Single(spans, s => s.OperationName == CloudTrace.CallSpan && (string?)s.GetTagItem(CloudTrace.ApiTag) == api
            && (string?)s.GetTagItem(CloudTrace.MessagesTag) == messageId);
        var send = Call("SendMessageBatch");
        Assert.Equal("sqs-send", send.GetTagItem(CloudTrace.KindTag));
        Assert.Equal("gw-t-1", send.GetTagItem(CloudTrace.DeduplicationTag));
        Assert.Equal(_deployment.Settings.WriterQueue, send.GetTagItem(CloudTrace.QueueTag));
        Assert.Equal(2L, send.GetTagItem(CloudTrace.UnitsTag));
        Assert.Equal("sqs-receive", Call("ReceiveMessage").GetTagItem(CloudTrace.KindTag));
        Assert.Equal("sqs-delete", Call("DeleteMessageBatch").GetTagItem(CloudTrace.KindTag));
        Assert.True(send.Duration > TimeSpan.Zero);

        // Other tests' calls leave spans too: this one is told apart by its parent.
        using (var parent = CloudTrace.StartBatch(CloudTrace.WriterBatchSpan, ["gw-t-2"]))
        {
            await Dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = new() { ["name"] = new("none") }, ConsistentRead = true });
        }
        var batchSpan = Assert.Single(spans, s => s.OperationName == CloudTrace.WriterBatchSpan && (string?)s.GetTagItem(CloudTrace.RequestKeysTag) == "gw-t-2");
        var get = Assert.Single(spans, s => s.ParentSpanId == batchSpan.SpanId);
        Assert.Equal("GetItem", get.GetTagItem(CloudTrace.ApiTag));
        Assert.Equal("dynamodb-read", get.GetTagItem(CloudTrace.KindTag));
        Assert.Equal(1.0, get.GetTagItem(CloudTrace.ReadUnitsTag));
    }
}
