namespace ZkGateway.TraceModel.Tests;

/// <summary>
/// The trace model on synthetic span files with known answers: the critical path across processes,
/// the overlap rule, FaaSKeeper's per-call medians, and the dollars at the meter's prices.
/// </summary>
public sealed class TraceModelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "zkgw-tracemodel-" + Guid.NewGuid().ToString("N"));

    public TraceModelTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string G = "gateway gw-x", F = "functions";

    /// <summary>
    /// Today's path for one setData: gateway → writer queue → writer → distributor queue → distributor
    /// → inbox → gateway, with a pop after the inbox send, acknowledgements, and a liveness write of the
    /// gateway's that serves no request.
    /// </summary>
    private static SyntheticTrace TodaysSetData() => new SyntheticTrace()
        .Span(G, "gateway.write", "w1", null, 0, 100_000, ("operation", "setData"), ("request", "gw-x-1"))
        .Call(G, "send1", "w1", 1000, 2000, "sqs", "SendMessageBatch", "sqs-send", 1, "m1")
        .Call(F, "recv1", null, -5_000_000, 3000, "sqs", "ReceiveMessage", "sqs-receive", 1, "m1", null)
        .Span(F, "writer.batch", "wb", null, 3100, 20_000, ("requests", "gw-x-1"))
        .Call(F, "c1", "wb", 3200, 4000, "dynamodb", "GetItem", "dynamodb-read", 1)
        .Call(F, "c2", "wb", 4100, 5000, "dynamodb", "UpdateItem", "dynamodb-write", 1)
        // Two calls in flight at once: they count once.
        .Call(F, "c3", "wb", 5100, 6000, "dynamodb", "UpdateItem", "dynamodb-write", 1)
        .Call(F, "c4", "wb", 5500, 6500, "dynamodb", "UpdateItem", "dynamodb-write", 1)
        .Call(F, "c5", "wb", 6600, 8000, "dynamodb", "TransactWriteItems", "dynamodb-write", 6)
        .Call(F, "send2", "wb", 8100, 9000, "sqs", "SendMessageBatch", "sqs-send", 1, "m2")
        .Call(F, "del1", null, 9100, 9500, "sqs", "DeleteMessageBatch", "sqs-delete", 1, "m1", null)
        .Call(F, "recv2", null, -1000, 9600, "sqs", "ReceiveMessage", "sqs-receive", 1, "m2", null)
        .Span(F, "distributor.batch", "db", null, 9700, 30_000, ("requests", "gw-x-1"), ("zxids", "0x5"))
        .Call(F, "c6", "db", 9800, 12_000, "s3", "PutObject", "s3-put", 1)
        .Call(F, "c7", "db", 12_100, 13_000, "dynamodb", "Query", "dynamodb-read", 0.5)
        .Call(F, "send3", "db", 13_100, 14_000, "sqs", "SendMessageBatch", "sqs-send", 1, "m3")
        // The pop, after the reply left: not on the path, but paid.
        .Call(F, "c8", "db", 14_100, 15_000, "dynamodb", "Query", "dynamodb-read", 1)
        .Call(F, "c9", "db", 15_100, 16_000, "dynamodb", "BatchWriteItem", "dynamodb-write", 1)
        .Call(G, "recv3", null, -2000, 14_500, "sqs", "ReceiveMessage", "sqs-receive", 1, "m3", null)
        .Call(G, "del3", null, 15_000, 15_500, "sqs", "DeleteMessageBatch", "sqs-delete", 1, "m3", null)
        .Call(F, "del2", null, 16_100, 16_500, "sqs", "DeleteMessageBatch", "sqs-delete", 1, "m2", null)
        .Call(G, "live", null, 50_000, 51_000, "dynamodb", "PutItem", "dynamodb-write", 1, null, null)
        .Call(G, "idle", null, 20_000, 40_000_000, "sqs", "ReceiveMessage", "sqs-receive", 1, null, null);

    [Fact]
    public void Todays_path_crosses_three_queues_and_counts_overlapping_calls_once()
    {
        var index = TodaysSetData().Index(_dir);
        var write = Assert.Single(index.Writes);
        var path = CriticalPath.Of(index, write, "gw-x-1");

        Assert.Equal(
            ["queue-hop", "dynamodb-read", "dynamodb-write", "dynamodb-write", "dynamodb-write", "dynamodb-write", "queue-hop", "s3-put", "dynamodb-read", "queue-hop"],
            path.Select(s => s.Kind));
        // 24 (writer queue) + 5 + 7 + 7 (two at once) + 7 + 24 (distributor queue) + 40 (S3 PUT) + 5 + 24 (inbox).
        Assert.Equal(143, CriticalPath.ModeledMs(path));
    }

    [Fact]
    public void A_requests_cost_is_every_call_that_served_it_at_the_meters_prices()
    {
        var index = TodaysSetData().Index(_dir);
        var summary = OperationSummary.Of(index, "set", "setData", SyntheticTrace.Base, SyntheticTrace.Base + 200_000)!;

        Assert.Equal(1, summary.Count);
        // Sends, receives and deletes at three queues; 8 DynamoDB calls; the S3 PUT. Not the liveness write, not the idle poll.
        Assert.Equal(9, summary.CallsPerOpByService["sqs"]);
        Assert.Equal(8, summary.CallsPerOpByService["dynamodb"]);
        Assert.Equal(1, summary.CallsPerOpByService["s3"]);
        // SQS 9 x $0.50/M; DynamoDB 2.5 read units x $0.25/M and 10 write units x $1.25/M; S3 PUT $5/M.
        decimal expected = (9 * 0.50m + 2.5m * 0.25m + 10 * 1.25m + 5m) / 1_000_000m * 100_000m;
        Assert.Equal(expected, summary.UsdPer100K);
        Assert.Equal(143, summary.ModeledMedianMs);
    }

    [Fact]
    public void A_write_answered_in_the_gateway_has_its_calls_between_start_and_reply_and_a_send_without_crossing_is_an_sqs_call()
    {
        // The writer and distributor inside the gateway; a watch trigger to another gateway's inbox.
        var index = new SyntheticTrace()
            .Span(G, "gateway.write", "w1", null, 0, 30_000, ("operation", "create"), ("request", "gw-x-7"))
            .Span(G, "writer.batch", "wb", "w1", 500, 3500, ("requests", "gw-x-7"))
            .Call(G, "c1", "wb", 1000, 2000, "dynamodb", "UpdateItem", "dynamodb-write", 1)
            .Call(G, "c2", "wb", 2100, 3000, "dynamodb", "TransactWriteItems", "dynamodb-write", 2)
            .Span(G, "distributor.batch", "db", "w1", 3050, 8000, ("requests", "gw-x-7"))
            .Call(G, "c3", "db", 3100, 6000, "s3", "PutObject", "s3-put", 1)
            .Call(G, "c4", "db", 6100, 7000, "sqs", "SendMessageBatch", "sqs-send", 1, "m9")
            .Call("gateway gw-y", "r9", null, -10_000, 7500, "sqs", "ReceiveMessage", "sqs-receive", 1, "m9", null)
            .Index(_dir);
        var path = CriticalPath.Of(index, index.Writes.Single(), "gw-x-7");
        Assert.Equal(7 + 7 + 40 + 13, CriticalPath.ModeledMs(path));
    }

    [Fact]
    public void A_read_is_its_one_storage_call()
    {
        var index = new SyntheticTrace()
            .Span(G, "gateway.read", "r1", null, 0, 2000, ("operation", "getData"))
            .Call(G, "c1", "r1", 100, 900, "dynamodb", "GetItem", "dynamodb-read", 1)
            .Index(_dir);
        var summary = OperationSummary.Of(index, "get", "getData", SyntheticTrace.Base, SyntheticTrace.Base + 10_000)!;
        Assert.Equal(5, summary.ModeledMedianMs);
        Assert.Equal(1, summary.CallsPerOp);
        Assert.Equal(0.025m, summary.UsdPer100K);
    }

    [Fact]
    public void The_groups_of_overlapping_steps_cost_their_longest_modeled_step()
    {
        // A (0-10) overlaps B (5-20), B overlaps C (15-30): one group; D starts when C returned: a second.
        PathStep Step(string kind, long start, long end) => new(kind, start, end, "p", kind);
        double ms = CriticalPath.ModeledMs([Step("dynamodb-read", 0, 10), Step("s3-put", 5, 20), Step("dynamodb-write", 15, 30), Step("s3-get", 30, 40)]);
        Assert.Equal(40 + 11, ms);
    }
}
