using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using ZkGateway.Backend.Diagnostics;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// The request-level spans a trace tool joins a write's calls by: the gateway's span of the write with
/// its request key, the writer's and the distributor's batch spans naming it; a read's span; and their
/// export as JSON lines. Driven through the embedded deployment, which runs the same gateway, writer
/// and distributor code as the AWS one.
/// </summary>
public sealed class CloudTraceTests
{
    /// <summary>Records the spans of <see cref="CloudTrace.Source"/> stopped while it lives.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly ActivityListener _listener;

        public Recorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == CloudTrace.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a => Stopped.Enqueue(a),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Stopped { get; } = new();

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_write_is_named_by_its_request_key_in_the_gateway_writer_and_distributor_spans()
    {
        using var recorder = new Recorder();
        var embedded = await EmbeddedBackend.StartAsync();
        // Other tests' backends run meanwhile (and may use the same gateway id): this test's write and
        // read are told apart by a parent span of their own.
        using var test = new Activity("test").Start();
        await using (embedded)
        {
            long session = await embedded.NewSessionAsync();
            string path = "/traced-" + Guid.NewGuid().ToString("N")[..8];
            Assert.Equal(Jute.Protocol.ErrorCode.Ok, (await embedded.CreateAsync(session, path, "x")).Result!.Error);
            Assert.Equal(Jute.Protocol.ErrorCode.Ok, (await embedded.Backend.GetDataAsync(path, null)).Error);
        }
        // Stopped: every batch has ended (a reply can come before its writer's batch span ends).

        var spans = recorder.Stopped.ToList();
        var write = Assert.Single(spans, s => s.OperationName == CloudTrace.GatewayWriteSpan && s.ParentSpanId == test.SpanId && (string?)s.GetTagItem(CloudTrace.OperationTag) == "create");
        string key = (string)write.GetTagItem(CloudTrace.RequestKeyTag)!;
        Assert.Matches("^.+-[0-9]+$", key);
        // The writer's and the distributor's batches name it, within the write's span (which ends with its reply).
        bool Within(Activity batch) => batch.StartTimeUtc >= write.StartTimeUtc && batch.StartTimeUtc <= write.StartTimeUtc + write.Duration;
        Assert.Contains(spans, s => s.OperationName == CloudTrace.WriterBatchSpan && Keys(s).Contains(key) && Within(s));
        Assert.Contains(spans, s => s.OperationName == CloudTrace.DistributorBatchSpan && Keys(s).Contains(key) && Within(s)
            && ((string?)s.GetTagItem(CloudTrace.ZxidsTag))?.StartsWith("0x", StringComparison.Ordinal) == true);
        Assert.Contains(spans, s => s.OperationName == CloudTrace.GatewayReadSpan && s.ParentSpanId == test.SpanId && (string?)s.GetTagItem(CloudTrace.OperationTag) == "getData");
    }

    [Fact]
    public void A_cloud_call_is_a_child_of_the_current_span_with_its_times_and_units_and_leaves_it_current()
    {
        using var recorder = new Recorder();
        using var batch = CloudTrace.StartBatch(CloudTrace.WriterBatchSpan, ["gw-a-1", "gw-a-2"]);
        var start = DateTime.UtcNow.AddMilliseconds(-5);
        CloudTrace.RecordCall(new CloudTrace.Call("dynamodb", "TransactWriteItems", start, start.AddMilliseconds(3)) { WriteUnits = 6 }, "write-commit");
        Assert.Same(batch, Activity.Current);

        var call = Assert.Single(recorder.Stopped, s => s.OperationName == CloudTrace.CallSpan && s.ParentSpanId == batch!.SpanId);
        Assert.Equal("dynamodb-write", call.GetTagItem(CloudTrace.KindTag));
        Assert.Equal(6.0, call.GetTagItem(CloudTrace.WriteUnitsTag));
        Assert.Equal("write-commit", call.GetTagItem(CloudTrace.OperationTag));
        Assert.Equal(start, call.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(3), call.Duration);
    }

    [Fact]
    public void The_export_writes_one_json_line_per_span_with_its_parent_times_and_tags()
    {
        string file = Path.Combine(Path.GetTempPath(), "zkgw-trace-" + Guid.NewGuid().ToString("N") + ".jsonl");
        try
        {
            string parentId;
            using (var export = CloudTraceFile.Start(file, "test"))
            {
                using (var batch = CloudTrace.StartBatch(CloudTrace.DistributorBatchSpan, ["gw-b-7"], [0x10]))
                {
                    parentId = batch!.SpanId.ToHexString();
                    var start = DateTime.UtcNow;
                    CloudTrace.RecordCall(new CloudTrace.Call("sqs", "SendMessageBatch", start, start.AddMilliseconds(2)) { Units = 2, Queue = "d-inbox-gw-b.fifo", Messages = "m1" }, "distribute");
                }
            }
            var lines = File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var call = Assert.Single(lines, l => l.GetProperty("name").GetString() == CloudTrace.CallSpan && l.GetProperty("parent").GetString() == parentId);
            Assert.Equal(2000, call.GetProperty("end").GetInt64() - call.GetProperty("start").GetInt64());
            Assert.Equal("sqs-send", call.GetProperty("tags").GetProperty("kind").GetString());
            Assert.Equal(2, call.GetProperty("tags").GetProperty("units").GetInt64());
            Assert.Equal("m1", call.GetProperty("tags").GetProperty("messages").GetString());
            Assert.Equal("test", call.GetProperty("process").GetString());
            var batchLine = Assert.Single(lines, l => l.GetProperty("span").GetString() == parentId);
            Assert.Equal("gw-b-7", batchLine.GetProperty("tags").GetProperty("requests").GetString());
            Assert.Equal("0x10", batchLine.GetProperty("tags").GetProperty("zxids").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string[] Keys(Activity batch) => ((string?)batch.GetTagItem(CloudTrace.RequestKeysTag) ?? "").Split(',');
}
