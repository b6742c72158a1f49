using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZkGateway.FunctionHost.Functions;
using ZkGateway.FunctionHost.Lambda;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>SQS events as Lambda's event-source mapping sends them (the shape of AWS's sample event).</summary>
internal static class SqsEvents
{
    public const string FifoArn = "arn:aws:sqs:us-east-1:123456789012:zk-writer.fifo";
    public const string StandardArn = "arn:aws:sqs:us-east-1:123456789012:zk-standard";

    /// <summary>One record per body, message ids m0, m1, …, in one message group.</summary>
    public static string Fifo(params string[] bodies) => Build(FifoArn, fifo: true, bodies);

    public static string Standard(params string[] bodies) => Build(StandardArn, fifo: false, bodies);

    private static string Build(string arn, bool fifo, string[] bodies)
    {
        var records = new JsonArray();
        for (var i = 0; i < bodies.Length; i++)
        {
            var attributes = new JsonObject
            {
                ["ApproximateReceiveCount"] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SentTimestamp"] = "1545082649183",
                ["SenderId"] = "AIDAIENQZJOLO23YVJ4VO",
                ["ApproximateFirstReceiveTimestamp"] = "1545082649185",
            };
            if (fifo)
            {
                attributes["SequenceNumber"] = $"1860000000000000000{i:D2}";
                attributes["MessageGroupId"] = "zk";
                attributes["MessageDeduplicationId"] = $"dedup-{i}";
            }
            records.Add(new JsonObject
            {
                ["messageId"] = $"m{i}",
                ["receiptHandle"] = $"receipt-{i}",
                ["body"] = bodies[i],
                ["attributes"] = attributes,
                ["messageAttributes"] = new JsonObject(),
                ["md5OfBody"] = "e4e68fb7bd0e697a0ae8f1bb342846b3",
                ["eventSource"] = "aws:sqs",
                ["eventSourceARN"] = arn,
                ["awsRegion"] = "us-east-1",
            });
        }
        return new JsonObject { ["Records"] = records }.ToJsonString();
    }
}

public sealed class SqsEventBatchTests
{
    private static readonly InvocationContext Context = new("req", null, "", null);

    [Fact]
    public void A_fifo_event_parses_with_its_attributes()
    {
        var parsed = SqsEvent.Parse(Encoding.UTF8.GetBytes(SqsEvents.Fifo("aGVsbG8=", "d29ybGQ=")));

        var records = parsed.Records!;
        Assert.Equal(2, records.Count);
        var first = records[0];
        Assert.Equal("m0", first.MessageId);
        Assert.Equal("receipt-0", first.ReceiptHandle);
        Assert.Equal("aGVsbG8=", first.Body);
        Assert.Equal("hello"u8.ToArray(), first.DecodeBase64Body());
        Assert.Equal("zk", first.Attributes!.MessageGroupId);
        Assert.Equal("186000000000000000000", first.Attributes.SequenceNumber);
        Assert.Equal("dedup-0", first.Attributes.MessageDeduplicationId);
        Assert.Equal(1, first.ReceiveCount);
        Assert.Equal(2, records[1].ReceiveCount);
        Assert.Equal(SqsEvents.FifoArn, first.EventSourceArn);
        Assert.True(first.IsFifo);
    }

    [Fact]
    public void A_standard_event_is_not_fifo()
    {
        var record = SqsEvent.Parse(Encoding.UTF8.GetBytes(SqsEvents.Standard("x"))).Records![0];
        Assert.False(record.IsFifo);
        Assert.Null(record.Attributes!.MessageGroupId);
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_a_missing_receive_count_reads_as_zero()
    {
        var parsed = SqsEvent.Parse("""{"Records":[{"messageId":"a","body":"b","future":{"x":[1,2]}}],"other":true}"""u8);
        Assert.Equal("a", parsed.Records![0].MessageId);
        Assert.Equal(0, parsed.Records[0].ReceiveCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"Records":null}""")]
    [InlineData("""{"Records":[{"body":"no id"}]}""")]
    [InlineData("""{"Records":[null]}""")]
    [InlineData("""{"Records":[{"messageId":7}]}""")]
    public void A_malformed_event_is_a_format_exception(string json) =>
        Assert.Throws<FormatException>(() => SqsEvent.Parse(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData(5, new string[0])]
    [InlineData(3, new[] { "m3", "m4" })]
    [InlineData(1, new[] { "m1", "m2", "m3", "m4" })]
    [InlineData(0, new[] { "m0", "m1", "m2", "m3", "m4" })]
    public void The_processed_prefix_leaves_every_later_record_on_the_queue(int processed, string[] failed)
    {
        var records = SqsEvent.Parse(Encoding.UTF8.GetBytes(SqsEvents.Fifo("a", "b", "c", "d", "e"))).Records!;
        var response = SqsBatchResponse.ForProcessedPrefix(records, processed);
        Assert.Equal(failed, response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    public void A_processed_count_outside_the_batch_is_refused(int processed)
    {
        var records = SqsEvent.Parse(Encoding.UTF8.GetBytes(SqsEvents.Fifo("a", "b", "c"))).Records!;
        Assert.Throws<ArgumentOutOfRangeException>(() => SqsBatchResponse.ForProcessedPrefix(records, processed));
    }

    [Fact]
    public void In_a_fifo_batch_one_failure_fails_every_later_record()
    {
        var records = SqsEvent.Parse(Encoding.UTF8.GetBytes(SqsEvents.Fifo("a", "b", "c", "d", "e"))).Records!;
        var response = SqsBatchResponse.ForFailures(records, new HashSet<string> { "m1", "m3" });
        Assert.Equal(["m1", "m2", "m3", "m4"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Fact]
    public void In_a_standard_batch_exactly_the_failed_records_are_reported()
    {
        var records = SqsEvent.Parse(Encoding.UTF8.GetBytes(SqsEvents.Standard("a", "b", "c", "d", "e"))).Records!;
        var response = SqsBatchResponse.ForFailures(records, new HashSet<string> { "m1", "m3" });
        Assert.Equal(["m1", "m3"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Fact]
    public void The_response_has_lambdas_shape()
    {
        var records = SqsEvent.Parse(Encoding.UTF8.GetBytes(SqsEvents.Fifo("a", "b"))).Records!;
        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m1"}]}""", SqsBatchResponse.ForProcessedPrefix(records, 1).ToJson());
        Assert.Equal("""{"batchItemFailures":[]}""", SqsBatchResponse.ForProcessedPrefix(records, 2).ToJson());
    }

    [Fact]
    public async Task The_adapter_passes_the_records_in_order_and_answers_with_the_unprocessed_suffix()
    {
        IReadOnlyList<SqsRecord>? given = null;
        var function = new SqsBatchFunction("writer", (records, _, _) =>
        {
            given = records;
            return Task.FromResult(2);
        });
        var json = await function.HandleAsync(Encoding.UTF8.GetBytes(SqsEvents.Fifo("a", "b", "c")), Context, CancellationToken.None);

        Assert.Equal(["a", "b", "c"], given!.Select(r => r.Body));
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(["m2"], doc.RootElement.GetProperty("batchItemFailures").EnumerateArray()
            .Select(e => e.GetProperty("itemIdentifier").GetString()));
    }

    [Fact]
    public async Task The_adapter_does_not_call_the_processor_for_an_empty_batch()
    {
        var called = false;
        var function = new SqsBatchFunction("writer", (_, _, _) =>
        {
            called = true;
            return Task.FromResult(0);
        });
        var json = await function.HandleAsync("""{"Records":[]}"""u8.ToArray(), Context, CancellationToken.None);
        Assert.False(called);
        Assert.Equal("""{"batchItemFailures":[]}""", json);
    }

    [Fact]
    public async Task The_adapter_lets_a_processor_exception_fail_the_invocation()
    {
        var function = new SqsBatchFunction("writer", (_, _, _) => throw new TimeoutException("storage down"));
        await Assert.ThrowsAsync<TimeoutException>(() =>
            function.HandleAsync(Encoding.UTF8.GetBytes(SqsEvents.Fifo("a")), Context, CancellationToken.None));
    }

    [Fact]
    public async Task The_echo_function_echoes_and_throws_on_request()
    {
        var echo = new EchoFunction();
        Assert.Equal("""{"a":1}""", await echo.HandleAsync("""{"a":1}"""u8.ToArray(), Context, CancellationToken.None));
        Assert.Equal("plain text", await echo.HandleAsync("plain text"u8.ToArray(), Context, CancellationToken.None));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            echo.HandleAsync("""{"x":{"y":2},"echoError":"asked to fail"}"""u8.ToArray(), Context, CancellationToken.None));
        Assert.Equal("asked to fail", e.Message);
    }

    [Fact]
    public async Task The_catalog_knows_echo_and_refuses_unknown_names()
    {
        var configuration = FunctionHostConfiguration.From([], _ => null);
        var echo = await FunctionCatalog.CreateAsync("echo", configuration);
        Assert.NotNull(echo);
        Assert.IsType<EchoFunction>(echo);
        Assert.Null(await FunctionCatalog.CreateAsync("nope", configuration));
    }
}
