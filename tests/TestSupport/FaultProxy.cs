using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZkGateway.Testing;

/// <summary>The cloud service behind a <see cref="FaultProxy"/>: it decides the shape of the errors the proxy makes up.</summary>
public enum CloudService
{
    DynamoDb,
    S3,
    Sqs,
}

/// <summary>What the proxy does with one request (issue 17's cloud faults).</summary>
public enum ProxyFault
{
    /// <summary>Forwarded, and its answer passed back.</summary>
    None,

    /// <summary>Not forwarded: the service's throttling error (DynamoDB ProvisionedThroughputExceeded or ThrottlingException, S3 SlowDown, SQS RequestThrottled).</summary>
    Throttle,

    /// <summary>Not forwarded: HTTP 500 with the service's internal-error shape.</summary>
    InternalError,

    /// <summary>Not forwarded: HTTP 503 with the service's unavailable shape.</summary>
    Unavailable,

    /// <summary>Not forwarded: the connection is reset before any answer.</summary>
    DropBeforeForward,

    /// <summary>
    /// Forwarded (so it took effect), then the connection is reset instead of the answer: the caller
    /// cannot tell it from a request that never arrived, as after a timeout.
    /// </summary>
    DropAfterForward,
}

/// <summary>One request as the proxy's plan sees it: its service, its API name, and its number in arrival order (from 1).</summary>
public sealed record ProxiedCall(CloudService Service, string Operation, long Sequence);

/// <summary>
/// An HTTP proxy in front of one emulator endpoint that forwards each request, or makes it fail the
/// way the real service fails (<see cref="ProxyFault"/>), as <see cref="Plan"/> decides. Clients are
/// pointed at <see cref="Endpoint"/> instead of the emulator's (AwsSettings' endpoint settings). The
/// Host header is passed on unchanged, so a request's signature still matches.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Expect", "Upgrade", "Proxy-Connection",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly Uri _target;
    private long _sequence;

    private FaultProxy(WebApplication app, HttpClient upstream, Uri target, CloudService service)
    {
        _app = app;
        _upstream = upstream;
        _target = target;
        Service = service;
    }

    public CloudService Service { get; }

    /// <summary>The address to give clients in place of the emulator's.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Decides each request's fault; called on the request's own thread, so it must be thread-safe.</summary>
    public Func<ProxiedCall, ProxyFault> Plan { get; set; } = static _ => ProxyFault.None;

    /// <summary>Added before each request is handled (latency as a fault).</summary>
    public TimeSpan AddedLatency { get; set; }

    /// <summary>Requests seen per operation and fault, e.g. "TransactWriteItems/DropAfterForward".</summary>
    public ConcurrentDictionary<string, int> Counts { get; } = new();

    public int Count(string operation, ProxyFault fault = ProxyFault.None) =>
        Counts.TryGetValue($"{operation}/{fault}", out int n) ? n : 0;

    /// <summary>Every fault injected so far (forwarded requests not counted).</summary>
    public int FaultsInjected => Counts.Where(c => !c.Key.EndsWith("/None", StringComparison.Ordinal)).Sum(c => c.Value);

    public static async Task<FaultProxy> StartAsync(string upstreamEndpoint, CloudService service)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // Forwarded bodies (S3 objects) may be large; the emulators set their own limits.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var upstream = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        {
            // SQS long polls for 20 s; the caller's own timeout ends a request sooner.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var proxy = new FaultProxy(app, upstream, new Uri(upstreamEndpoint.TrimEnd('/')), service);
        app.Run(proxy.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.Endpoint = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        var call = new ProxiedCall(Service, OperationOf(context.Request, body), Interlocked.Increment(ref _sequence));
        var fault = Plan(call);
        Counts.AddOrUpdate($"{call.Operation}/{fault}", 1, static (_, n) => n + 1);
        if (AddedLatency > TimeSpan.Zero)
        {
            await Task.Delay(AddedLatency, context.RequestAborted).ConfigureAwait(false);
        }
        switch (fault)
        {
            case ProxyFault.DropBeforeForward:
                context.Abort();
                return;
            case ProxyFault.Throttle or ProxyFault.InternalError or ProxyFault.Unavailable:
                await WriteErrorAsync(context, fault, call).ConfigureAwait(false);
                return;
        }
        using var forwarded = Forward(context.Request, body);
        using var answer = await _upstream.SendAsync(forwarded, HttpCompletionOption.ResponseContentRead, context.RequestAborted).ConfigureAwait(false);
        if (fault == ProxyFault.DropAfterForward)
        {
            context.Abort();
            return;
        }
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }
        var content = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted).ConfigureAwait(false);
        // A HEAD answer has no body but keeps the object's length.
        context.Response.ContentLength = answer.Content.Headers.ContentLength ?? content.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(content, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private HttpRequestMessage Forward(HttpRequest request, byte[] body)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_target, request.Path.Value + request.QueryString.Value));
        message.Content = new ByteArrayContent(body);
        message.Content.Headers.Clear();
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        message.Headers.Host = request.Host.Value;
        return message;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>The API name: X-Amz-Target's suffix (DynamoDB, SQS's JSON protocol), Action= (SQS's query protocol), or the HTTP method (S3).</summary>
    private static string OperationOf(HttpRequest request, byte[] body)
    {
        string target = request.Headers["X-Amz-Target"].ToString();
        if (target.Length > 0)
        {
            return target[(target.LastIndexOf('.') + 1)..];
        }
        if (request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
        {
            foreach (var pair in Encoding.UTF8.GetString(body).Split('&'))
            {
                if (pair.StartsWith("Action=", StringComparison.Ordinal))
                {
                    return pair["Action=".Length..];
                }
            }
        }
        return request.Method;
    }

    private Task WriteErrorAsync(HttpContext context, ProxyFault fault, ProxiedCall call)
    {
        bool json = context.Request.Headers.ContainsKey("X-Amz-Target");
        var (status, code, message) = (Service, fault) switch
        {
            (CloudService.DynamoDb, ProxyFault.Throttle) when call.Sequence % 2 == 0 =>
                (400, "com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput."),
            (CloudService.DynamoDb, ProxyFault.Throttle) =>
                (400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                 "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."),
            (CloudService.DynamoDb, ProxyFault.InternalError) => (500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error"),
            (CloudService.DynamoDb, _) => (503, "com.amazon.coral.availability#ServiceUnavailableException", "Service unavailable"),
            (CloudService.S3, ProxyFault.Throttle) => (503, "SlowDown", "Please reduce your request rate."),
            (CloudService.S3, ProxyFault.InternalError) => (500, "InternalError", "We encountered an internal error. Please try again."),
            (CloudService.S3, _) => (503, "ServiceUnavailable", "Service is unable to handle request."),
            (CloudService.Sqs, ProxyFault.Throttle) => (400, "RequestThrottled", "Request is throttled."),
            (CloudService.Sqs, ProxyFault.InternalError) => (500, "InternalError", "We encountered an internal error. Please try again."),
            _ => (503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
        };
        context.Response.StatusCode = status;
        string requestId = Guid.NewGuid().ToString();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        if (Service == CloudService.DynamoDb)
        {
            context.Response.ContentType = "application/x-amz-json-1.0";
            return context.Response.WriteAsync($"{{\"__type\":\"{code}\",\"message\":\"{message}\"}}");
        }
        if (Service == CloudService.Sqs && json)
        {
            // SQS's JSON protocol: the query protocol's code travels in x-amzn-query-error.
            context.Response.ContentType = "application/x-amz-json-1.0";
            context.Response.Headers["x-amzn-query-error"] = $"{code};{(status < 500 ? "Sender" : "Receiver")}";
            return context.Response.WriteAsync($"{{\"__type\":\"com.amazonaws.sqs#{code}\",\"message\":\"{message}\"}}");
        }
        context.Response.ContentType = "application/xml";
        return context.Response.WriteAsync(Service == CloudService.S3
            ? $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>{requestId}</RequestId></Error>"
            : $"<ErrorResponse><Error><Type>{(status < 500 ? "Sender" : "Receiver")}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{requestId}</RequestId></ErrorResponse>");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
    }
}
