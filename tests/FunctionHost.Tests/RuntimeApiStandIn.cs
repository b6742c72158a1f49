using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>
/// A local stand-in for the Lambda runtime API (2018-06-01), on Kestrel at 127.0.0.1 on a free port.
/// Tests queue invocations; <c>GET /next</c> long-polls until one is queued and hands it out with Lambda's
/// headers; <c>/response</c>, <c>/error</c> and <c>/init/error</c> complete the outcome a test awaits.
/// Like Lambda, it answers 202 to a post for a handed-out id and 400 for an unknown one.
/// </summary>
public sealed class RuntimeApiStandIn : IAsyncDisposable
{
    private const string Prefix = "/2018-06-01/runtime";

    private readonly WebApplication _app;
    private readonly Channel<StandInInvocation> _queue = Channel.CreateUnbounded<StandInInvocation>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationOutcome>> _outcomes = new();
    private readonly TaskCompletionSource<InvocationOutcome> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _journal = new();

    private RuntimeApiStandIn(WebApplication app) => _app = app;

    /// <summary>host:port, the value for <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string Address { get; private set; } = "";

    /// <summary>Every API call in arrival order: "next", "response id", "error id", "init-error".</summary>
    public IReadOnlyList<string> Journal => [.. _journal];

    public static async Task<RuntimeApiStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var standIn = new RuntimeApiStandIn(app);
        app.MapGet($"{Prefix}/invocation/next", standIn.NextAsync);
        app.MapPost($"{Prefix}/invocation/{{id}}/response", (HttpContext c, string id) => standIn.CompleteAsync(c, id, OutcomeKind.Response));
        app.MapPost($"{Prefix}/invocation/{{id}}/error", (HttpContext c, string id) => standIn.CompleteAsync(c, id, OutcomeKind.Error));
        app.MapPost($"{Prefix}/init/error", standIn.InitErrorAsync);
        await app.StartAsync();
        var url = new Uri(app.Urls.Single());
        standIn.Address = $"127.0.0.1:{url.Port}";
        return standIn;
    }

    /// <summary>Queues an invocation; <see cref="OutcomeAsync"/> then waits for its answer.</summary>
    public void Enqueue(StandInInvocation invocation)
    {
        _outcomes.TryAdd(invocation.RequestId, new TaskCompletionSource<InvocationOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        _queue.Writer.TryWrite(invocation);
    }

    /// <summary>
    /// The response or error posted for an invocation. Bounded by a generous guard so that a broken loop
    /// fails the test instead of hanging it (not a timing assertion).
    /// </summary>
    public Task<InvocationOutcome> OutcomeAsync(string requestId) =>
        _outcomes[requestId].Task.WaitAsync(TimeSpan.FromSeconds(60));

    public Task<InvocationOutcome> InitErrorAsync() => _initError.Task.WaitAsync(TimeSpan.FromSeconds(60));

    private async Task NextAsync(HttpContext context)
    {
        _journal.Enqueue("next");
        StandInInvocation invocation;
        try
        {
            invocation = await _queue.Reader.ReadAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return; // the runtime went away mid-poll
        }
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        if (invocation.DeadlineHeader is { } deadline)
        {
            response.Headers["Lambda-Runtime-Deadline-Ms"] = deadline;
        }
        else
        {
            var ms = (invocation.Deadline ?? DateTimeOffset.UtcNow.AddMinutes(15)).ToUnixTimeMilliseconds();
            response.Headers["Lambda-Runtime-Deadline-Ms"] = ms.ToString(CultureInfo.InvariantCulture);
        }
        response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:000000000000:function:standin";
        if (invocation.TraceId is { } traceId)
        {
            response.Headers["Lambda-Runtime-Trace-Id"] = traceId;
        }
        await response.Body.WriteAsync(invocation.Event);
    }

    private async Task CompleteAsync(HttpContext context, string id, OutcomeKind kind)
    {
        _journal.Enqueue($"{(kind == OutcomeKind.Response ? "response" : "error")} {id}");
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        if (!_outcomes.TryGetValue(id, out var outcome))
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("{\"errorMessage\":\"unknown request id\",\"errorType\":\"InvalidRequestID\"}");
            return;
        }
        outcome.TrySetResult(new InvocationOutcome(kind, body,
            context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault(),
            context.Request.ContentType));
        context.Response.StatusCode = 202;
        await context.Response.WriteAsync("{\"status\":\"OK\"}");
    }

    private async Task InitErrorAsync(HttpContext context)
    {
        _journal.Enqueue("init-error");
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        _initError.TrySetResult(new InvocationOutcome(OutcomeKind.Error, body,
            context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault(), context.Request.ContentType));
        context.Response.StatusCode = 202;
        await context.Response.WriteAsync("{\"status\":\"OK\"}");
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>An invocation to hand out. <paramref name="DeadlineHeader"/> overrides the header verbatim.</summary>
public sealed record StandInInvocation(string RequestId, byte[] Event, DateTimeOffset? Deadline = null,
    string? TraceId = null, string? DeadlineHeader = null)
{
    public static StandInInvocation Json(string requestId, string json, DateTimeOffset? deadline = null, string? traceId = null) =>
        new(requestId, System.Text.Encoding.UTF8.GetBytes(json), deadline, traceId);
}

public enum OutcomeKind { Response, Error }

/// <summary>What the runtime posted: the body, and for errors the error-type header.</summary>
public sealed record InvocationOutcome(OutcomeKind Kind, string Body, string? ErrorTypeHeader, string? ContentType);
