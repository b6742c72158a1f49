using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using ZkGateway.FunctionHost.Functions;
using ZkGateway.FunctionHost.Lambda;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>The runtime loop in-process, against the Kestrel stand-in of the runtime API.</summary>
public sealed class LambdaRuntimeClientTests : IAsyncLifetime
{
    private RuntimeApiStandIn _api = null!;
    private readonly CancellationTokenSource _stop = new();
    private readonly RecordingLogger _log = new();
    private Task? _loop;

    public async Task InitializeAsync() => _api = await RuntimeApiStandIn.StartAsync();

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(60)); // ends normally once stopped
        }
        await _api.DisposeAsync();
        _stop.Dispose();
    }

    private void StartLoop(IFunctionHandler handler)
    {
        var client = new LambdaRuntimeClient(_api.Address, log: _log);
        _loop = Task.Run(async () =>
        {
            using (client)
            {
                await client.RunAsync(handler, _stop.Token);
            }
        });
    }

    [Fact]
    public async Task Invocations_are_taken_in_order_and_each_response_goes_to_its_request_id()
    {
        var seen = new ConcurrentQueue<string>();
        StartLoop(new DelegateHandler((body, ctx, _) =>
        {
            seen.Enqueue($"{ctx.RequestId}:{body}");
            return Task.FromResult($"{{\"answer\":\"{body.Trim('"')}-{ctx.RequestId}\"}}");
        }));

        for (var i = 1; i <= 5; i++)
        {
            _api.Enqueue(StandInInvocation.Json($"req-{i}", $"\"event{i}\""));
        }
        for (var i = 1; i <= 5; i++)
        {
            var outcome = await _api.OutcomeAsync($"req-{i}");
            Assert.Equal(OutcomeKind.Response, outcome.Kind);
            Assert.Equal($"{{\"answer\":\"event{i}-req-{i}\"}}", outcome.Body);
        }
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"req-{i}:\"event{i}\""), seen);
        // next, response, next, response, …: one invocation at a time.
        var journal = _api.Journal.Take(10).ToArray();
        Assert.Equal(Enumerable.Range(1, 5).SelectMany(i => new[] { "next", $"response req-{i}" }), journal);
    }

    [Fact]
    public async Task The_context_carries_the_headers_and_the_trace_id_is_published()
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(5);
        InvocationContext? seen = null;
        string? traceVariable = null;
        StartLoop(new DelegateHandler((_, ctx, _) =>
        {
            seen = ctx;
            traceVariable = Environment.GetEnvironmentVariable(LambdaRuntimeClient.TraceIdVariable);
            return Task.FromResult("{}");
        }));

        const string trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
        _api.Enqueue(StandInInvocation.Json("ctx-1", "{}", deadline, trace));
        await _api.OutcomeAsync("ctx-1");

        Assert.NotNull(seen);
        Assert.Equal("ctx-1", seen.RequestId);
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), seen.Deadline!.Value.ToUnixTimeMilliseconds());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:standin", seen.InvokedFunctionArn);
        Assert.Equal(trace, seen.TraceId);
        Assert.Equal(trace, traceVariable);
    }

    [Fact]
    public async Task A_handler_exception_is_posted_as_an_error_and_the_loop_carries_on()
    {
        StartLoop(new DelegateHandler((body, _, _) => body == "\"boom\""
            ? throw new InvalidOperationException("the handler failed")
            : Task.FromResult("\"fine\"")));

        _api.Enqueue(StandInInvocation.Json("e-1", "\"boom\""));
        _api.Enqueue(StandInInvocation.Json("e-2", "\"ok\""));

        var error = await _api.OutcomeAsync("e-1");
        Assert.Equal(OutcomeKind.Error, error.Kind);
        Assert.Equal(LambdaRuntimeClient.ErrorTypes.Unhandled, error.ErrorTypeHeader);
        Assert.Equal("application/vnd.aws.lambda.error+json", error.ContentType);
        using (var doc = JsonDocument.Parse(error.Body))
        {
            var root = doc.RootElement;
            Assert.Equal("the handler failed", root.GetProperty("errorMessage").GetString());
            Assert.Equal("System.InvalidOperationException", root.GetProperty("errorType").GetString());
            var stack = root.GetProperty("stackTrace");
            Assert.Equal(JsonValueKind.Array, stack.ValueKind);
            Assert.True(stack.GetArrayLength() > 0);
            Assert.All(stack.EnumerateArray(), frame => Assert.StartsWith("at ", frame.GetString()));
        }

        var next = await _api.OutcomeAsync("e-2");
        Assert.Equal(OutcomeKind.Response, next.Kind);
        Assert.Equal("\"fine\"", next.Body);
    }

    [Fact]
    public async Task The_deadline_cancels_the_handler_and_a_timeout_error_is_posted()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StartLoop(new DelegateHandler(async (body, _, ct) =>
        {
            if (body == "\"hang\"")
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    cancelled.TrySetResult();
                    throw;
                }
            }
            return "\"done\"";
        }));

        // A deadline a second away: the token fires DeadlineMargin (0.5 s) before it. Only the order of
        // events is asserted, never a duration.
        _api.Enqueue(StandInInvocation.Json("d-1", "\"hang\"", DateTimeOffset.UtcNow.AddSeconds(1)));
        _api.Enqueue(StandInInvocation.Json("d-2", "\"quick\""));

        var outcome = await _api.OutcomeAsync("d-1");
        Assert.True(cancelled.Task.IsCompleted);
        Assert.Equal(OutcomeKind.Error, outcome.Kind);
        Assert.Equal(LambdaRuntimeClient.ErrorTypes.Timeout, outcome.ErrorTypeHeader);
        using (var doc = JsonDocument.Parse(outcome.Body))
        {
            Assert.Contains("deadline", doc.RootElement.GetProperty("errorMessage").GetString());
        }
        Assert.Equal(OutcomeKind.Response, (await _api.OutcomeAsync("d-2")).Kind);
    }

    [Fact]
    public async Task A_deadline_already_past_cancels_at_once_and_a_missing_or_absurd_deadline_cancels_never()
    {
        var tokens = new ConcurrentDictionary<string, bool>();
        StartLoop(new DelegateHandler((_, ctx, ct) =>
        {
            tokens[ctx.RequestId] = ct.IsCancellationRequested;
            return Task.FromResult("{}");
        }));
        _api.Enqueue(StandInInvocation.Json("p-1", "{}", DateTimeOffset.UtcNow.AddSeconds(-5)));
        _api.Enqueue(new StandInInvocation("p-2", "{}"u8.ToArray(), DeadlineHeader: "not-a-number"));
        _api.Enqueue(new StandInInvocation("p-3", "{}"u8.ToArray(), DeadlineHeader: "99999999999999"));
        _api.Enqueue(new StandInInvocation("p-4", "{}"u8.ToArray(), DeadlineHeader: "9223372036854775807"));

        await _api.OutcomeAsync("p-1");
        await _api.OutcomeAsync("p-2");
        Assert.Equal(OutcomeKind.Response, (await _api.OutcomeAsync("p-3")).Kind);
        Assert.True(tokens["p-1"]);
        Assert.False(tokens["p-2"]);
        Assert.Equal(OutcomeKind.Response, (await _api.OutcomeAsync("p-4")).Kind);
        Assert.False(tokens["p-3"]);
        Assert.False(tokens["p-4"]);
        Assert.Contains("no readable Lambda-Runtime-Deadline-Ms", _log.ToString());
        Assert.Contains("implausibly far", _log.ToString());
    }

    [Fact]
    public async Task An_sqs_batch_with_a_failing_record_reports_it_and_every_later_record()
    {
        var handled = new List<string>();
        StartLoop(new SqsBatchFunction("writer", (records, _, _) =>
        {
            var processed = 0;
            foreach (var record in records)
            {
                if (record.Body == "poison")
                {
                    break;
                }
                handled.Add(record.Body);
                processed++;
            }
            return Task.FromResult(processed);
        }));

        _api.Enqueue(StandInInvocation.Json("sqs-1", SqsEvents.Fifo("a", "b", "poison", "c", "d")));
        var outcome = await _api.OutcomeAsync("sqs-1");

        Assert.Equal(OutcomeKind.Response, outcome.Kind);
        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"},{"itemIdentifier":"m4"}]}""",
            outcome.Body);
        Assert.Equal(["a", "b"], handled);
    }

    [Fact]
    public async Task A_malformed_sqs_event_is_an_error_not_a_crash_and_the_loop_carries_on()
    {
        StartLoop(new SqsBatchFunction("distributor", (records, _, _) => Task.FromResult(records.Count)));

        _api.Enqueue(StandInInvocation.Json("bad-1", "this is not json"));
        _api.Enqueue(StandInInvocation.Json("bad-2", """{"Records":[{"body":"no id"}]}"""));
        _api.Enqueue(StandInInvocation.Json("good", SqsEvents.Fifo("x", "y")));

        var notJson = await _api.OutcomeAsync("bad-1");
        Assert.Equal(OutcomeKind.Error, notJson.Kind);
        Assert.Contains("\"errorType\":\"System.FormatException\"", notJson.Body);
        var noId = await _api.OutcomeAsync("bad-2");
        Assert.Equal(OutcomeKind.Error, noId.Kind);
        Assert.Contains("no messageId", noId.Body);

        var good = await _api.OutcomeAsync("good");
        Assert.Equal(OutcomeKind.Response, good.Kind);
        Assert.Equal("""{"batchItemFailures":[]}""", good.Body);
    }

    [Fact]
    public async Task Stopping_ends_a_pending_poll_and_the_loop_returns()
    {
        StartLoop(new DelegateHandler((_, _, _) => Task.FromResult("{}")));
        _api.Enqueue(StandInInvocation.Json("s-1", "{}"));
        await _api.OutcomeAsync("s-1");

        await _stop.CancelAsync();
        await _loop!.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(_loop.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_runtime_api_that_is_gone_ends_the_loop_with_an_exception()
    {
        var address = _api.Address;
        await _api.DisposeAsync();
        _api = await RuntimeApiStandIn.StartAsync(); // for DisposeAsync; the loop talks to the old address
        using var client = new LambdaRuntimeClient(address, log: null);
        await Assert.ThrowsAsync<LambdaRuntimeApiException>(
            () => client.RunAsync(new DelegateHandler((_, _, _) => Task.FromResult("{}")), CancellationToken.None));
    }

    [Fact]
    public async Task A_post_for_an_unknown_request_id_is_logged_and_not_fatal()
    {
        using var client = new LambdaRuntimeClient(_api.Address, log: _log);
        await client.PostResponseAsync("never-handed-out", "{}", CancellationToken.None);
        Assert.Contains("answered 400", _log.ToString());
    }

    [Fact]
    public async Task An_init_error_is_posted_with_its_type()
    {
        using var client = new LambdaRuntimeClient(_api.Address, log: null);
        await client.PostInitErrorAsync(LambdaError.From(new InvalidOperationException("no config")),
            LambdaRuntimeClient.ErrorTypes.InitFailed, CancellationToken.None);
        var error = await _api.InitErrorAsync();
        Assert.Equal(LambdaRuntimeClient.ErrorTypes.InitFailed, error.ErrorTypeHeader);
        Assert.Contains("\"errorMessage\":\"no config\"", error.Body);
    }

    private sealed class DelegateHandler(Func<string, InvocationContext, CancellationToken, Task<string>> handle) : IFunctionHandler
    {
        public string Name => "test";

        public Task<string> HandleAsync(ReadOnlyMemory<byte> eventJson, InvocationContext context, CancellationToken cancellationToken) =>
            handle(Encoding.UTF8.GetString(eventJson.Span), context, cancellationToken);
    }
}
