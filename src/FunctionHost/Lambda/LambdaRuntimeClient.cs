using System.Globalization;
using System.Net.Http.Headers;
using System.Net;
using System.Text.Json.Serialization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.FunctionHost.Functions;

namespace ZkGateway.FunctionHost.Lambda;

/// <summary>
/// A Lambda custom runtime (provided.al2023): the runtime API client and the invocation loop.
/// </summary>
/// <remarks>
/// The runtime API, version 2018-06-01, at <c>http://$AWS_LAMBDA_RUNTIME_API/2018-06-01</c>
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
/// <code>
///   GET  /runtime/invocation/next              long poll; body = event, headers:
///          Lambda-Runtime-Aws-Request-Id         the id to answer
///          Lambda-Runtime-Deadline-Ms            Unix ms when the invocation is stopped
///          Lambda-Runtime-Invoked-Function-Arn
///          Lambda-Runtime-Trace-Id               X-Ray header; runtimes put it in _X_AMZN_TRACE_ID
///   POST /runtime/invocation/{id}/response     body = result                      → 202
///   POST /runtime/invocation/{id}/error        body = {errorMessage, errorType, stackTrace[]},
///                                              header Lambda-Runtime-Function-Error-Type → 202
///   POST /runtime/init/error                   same body and header, before the first /next
/// </code>
/// The GET must have no timeout: Lambda freezes the process between invocations, so the poll can last any
/// time. A 500 from the API means the execution environment is broken; the runtime should exit (Lambda
/// then starts a new one), so those surface as <see cref="LambdaRuntimeApiException"/> and end
/// <see cref="RunAsync"/>. A handler failure is reported through <c>/error</c> and the loop goes on.
/// </remarks>
public sealed class LambdaRuntimeClient : IDisposable
{
    /// <summary>The environment variable with the runtime API's host:port.</summary>
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";

    /// <summary>Where runtimes publish the invocation's trace header for the X-Ray SDKs.</summary>
    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";

    /// <summary>
    /// Error types for the <c>Lambda-Runtime-Function-Error-Type</c> header. Lambda accepts any string and
    /// recommends "Category.Reason".
    /// </summary>
    public static class ErrorTypes
    {
        /// <summary>The handler threw.</summary>
        public const string Unhandled = "Function.Unhandled";

        /// <summary>The handler was cancelled at the deadline (see <see cref="DeadlineMargin"/>).</summary>
        public const string Timeout = "Function.Timeout";

        /// <summary>Init: no handler has the requested name.</summary>
        public const string NoSuchHandler = "Runtime.NoSuchHandler";

        /// <summary>Init: creating the handler threw.</summary>
        public const string InitFailed = "Runtime.InitError";
    }

    private const string ApiVersion = "2018-06-01";
    private const string ErrorContentType = "application/vnd.aws.lambda.error+json";

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    /// <param name="runtimeApi">host:port, as in <c>AWS_LAMBDA_RUNTIME_API</c>.</param>
    /// <param name="time">The clock the deadline is measured with (tests substitute it).</param>
    /// <param name="log">Where diagnostics go (the host's loggers write stderr, which Lambda sends to CloudWatch Logs).</param>
    public LambdaRuntimeClient(string runtimeApi, TimeProvider? time = null, ILogger? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runtimeApi);
        _base = new Uri($"http://{runtimeApi}/{ApiVersion}/runtime/", UriKind.Absolute);
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // The API is a local endpoint of the sandbox: never go through a proxy the environment names.
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // The process is frozen between invocations; a connection found idle after a thaw is simply
            // replaced, so no keep-alive pings are needed.
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            // /next is a long poll of unbounded length; the other calls are answered at once.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// How long before the deadline the handler's token is cancelled, so that it can stop cleanly and the
    /// error still reaches the API before Lambda stops the invocation.
    /// </summary>
    public TimeSpan DeadlineMargin { get; init; } = TimeSpan.FromMilliseconds(500);

    // Lambda's longest timeout is 15 minutes; a deadline days away is a bad header (and CancelAfter
    // cannot take more than ~49 days), so it is logged and not enforced rather than fatal.
    private static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(1);

    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Creates a client for <c>AWS_LAMBDA_RUNTIME_API</c>; throws when it is not set.</summary>
    public static LambdaRuntimeClient FromEnvironment(ILogger? log = null)
    {
        var api = Environment.GetEnvironmentVariable(RuntimeApiVariable);
        if (string.IsNullOrWhiteSpace(api))
        {
            throw new InvalidOperationException($"{RuntimeApiVariable} is not set: not running as a Lambda runtime.");
        }
        return new LambdaRuntimeClient(api, log: log);
    }

    /// <summary>
    /// The invocation loop: take the next invocation, run the handler under a token that honours the
    /// deadline, post the result or the error; repeat until <paramref name="stoppingToken"/> is cancelled
    /// (returns normally) or the runtime API fails (throws).
    /// </summary>
    public async Task RunAsync(IFunctionHandler handler, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        while (!stoppingToken.IsCancellationRequested)
        {
            Invocation invocation;
            try
            {
                invocation = await NextInvocationAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await InvokeAsync(handler, invocation, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping mid-invocation (SIGTERM): Lambda gives this invocation to a new environment.
                return;
            }
        }
    }

    /// <summary>Runs one invocation and reports its outcome. Only runtime API failures escape.</summary>
    private async Task InvokeAsync(IFunctionHandler handler, Invocation invocation, CancellationToken stoppingToken)
    {
        var context = invocation.Context;
        Environment.SetEnvironmentVariable(TraceIdVariable, context.TraceId);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        if (context.Deadline is not null)
        {
            var remaining = context.RemainingTime(_time) - DeadlineMargin;
            if (remaining > MaxDeadline)
            {
                HostLog.ImplausibleDeadline(_log, context.RequestId, context.Deadline.Value);
            }
            else if (remaining > TimeSpan.Zero)
            {
                deadline.CancelAfter(remaining);
            }
            else
            {
                deadline.Cancel(); // already too late: the handler sees a cancelled token from the start
            }
        }

        string response;
        try
        {
            // A null (from a handler ignoring nullability) is posted as the JSON literal null.
            response = await handler.HandleAsync(invocation.Event, context, deadline.Token).ConfigureAwait(false) ?? "null";
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            HostLog.CancelledAtDeadline(_log, context.RequestId, handler.Name, context.Deadline.GetValueOrDefault());
            await PostInvocationErrorAsync(context.RequestId, LambdaError.From(e, $"The invocation reached its deadline ({context.Deadline:O})."),
                ErrorTypes.Timeout, stoppingToken).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            HostLog.InvocationFailed(_log, e, context.RequestId, handler.Name, e.GetType().FullName ?? e.GetType().Name, e.Message);
            await PostInvocationErrorAsync(context.RequestId, LambdaError.From(e), ErrorTypes.Unhandled, stoppingToken)
                .ConfigureAwait(false);
            return;
        }
        await PostResponseAsync(context.RequestId, response, stoppingToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /runtime/invocation/next</c>: waits (without a timeout) for the next invocation.</summary>
    public async Task<Invocation> NextInvocationAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "invocation/next", null, null, cancellationToken)
            .ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new LambdaRuntimeApiException($"GET invocation/next answered {(int)response.StatusCode}: {detail}", response.StatusCode);
        }
        var headers = response.Headers;
        var requestId = Header(headers, "Lambda-Runtime-Aws-Request-Id");
        if (string.IsNullOrEmpty(requestId))
        {
            throw new LambdaRuntimeApiException("/next answered without a Lambda-Runtime-Aws-Request-Id header.", response.StatusCode);
        }
        DateTimeOffset? deadline = null;
        if (long.TryParse(Header(headers, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            && ms <= MaxUnixMilliseconds)
        {
            deadline = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }
        else
        {
            HostLog.NoDeadline(_log, requestId);
        }
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var context = new InvocationContext(requestId, deadline,
            Header(headers, "Lambda-Runtime-Invoked-Function-Arn") ?? "", Header(headers, "Lambda-Runtime-Trace-Id"));
        return new Invocation(context, body);
    }

    /// <summary><c>POST /runtime/invocation/{id}/response</c>.</summary>
    public async Task PostResponseAsync(string requestId, string response, CancellationToken cancellationToken)
    {
        using var content = new StringContent(response, new MediaTypeHeaderValue("application/json"));
        await PostAsync($"invocation/{Uri.EscapeDataString(requestId)}/response", content, null, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary><c>POST /runtime/invocation/{id}/error</c>.</summary>
    public Task PostInvocationErrorAsync(string requestId, LambdaError error, string errorType, CancellationToken cancellationToken) =>
        PostErrorAsync($"invocation/{Uri.EscapeDataString(requestId)}/error", error, errorType, cancellationToken);

    /// <summary><c>POST /runtime/init/error</c>: the function could not start; Lambda ends the environment.</summary>
    public Task PostInitErrorAsync(LambdaError error, string errorType, CancellationToken cancellationToken) =>
        PostErrorAsync("init/error", error, errorType, cancellationToken);

    private async Task PostErrorAsync(string path, LambdaError error, string errorType, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(error, LambdaJsonContext.Default.LambdaError);
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue(ErrorContentType);
        await PostAsync(path, content, errorType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A POST. A 4xx answer (413: the response is too large; 400: the id is no longer current) concerns
    /// that invocation only, which Lambda then records as failed: it is logged and the loop carries on.
    /// Anything else that is not 2xx is the environment failing, and throws.
    /// </summary>
    private async Task PostAsync(string path, HttpContent content, string? errorType, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, path, content, errorType, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is not (>= 400 and < 500))
            {
                throw new LambdaRuntimeApiException($"POST {path} answered {(int)response.StatusCode}: {detail}", response.StatusCode);
            }
            HostLog.PostRefused(_log, path, (int)response.StatusCode, detail);
        }
    }

    /// <summary>One API call; a connection failure is a <see cref="LambdaRuntimeApiException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content,
        string? errorType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path)) { Content = content };
        if (errorType is not null)
        {
            request.Headers.TryAddWithoutValidation("Lambda-Runtime-Function-Error-Type", errorType);
        }
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new LambdaRuntimeApiException($"{method} {path} failed: {e.Message}", null, e);
        }
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public void Dispose() => _http.Dispose();
}

/// <summary>One invocation from <c>/next</c>: its context and its event, as received.</summary>
public sealed record Invocation(InvocationContext Context, ReadOnlyMemory<byte> Event);

/// <summary>The runtime API is unreachable or answered with an error: the runtime must exit.</summary>
public sealed class LambdaRuntimeApiException(string message, HttpStatusCode? status, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>The error document of <c>/invocation/{id}/error</c> and <c>/init/error</c>.</summary>
public sealed class LambdaError
{
    [JsonPropertyName("errorMessage")]
    public string ErrorMessage { get; set; } = "";

    [JsonPropertyName("errorType")]
    public string ErrorType { get; set; } = "";

    [JsonPropertyName("stackTrace")]
    public List<string> StackTrace { get; set; } = [];

    /// <summary>The document for an exception: its message, full type name, and one entry per frame.</summary>
    public static LambdaError From(Exception exception, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var error = new LambdaError
        {
            ErrorMessage = message ?? exception.Message,
            ErrorType = exception.GetType().FullName ?? exception.GetType().Name,
        };
        if (exception.StackTrace is { } trace)
        {
            foreach (var line in trace.Split('\n'))
            {
                var frame = line.Trim();
                if (frame.Length > 0)
                {
                    error.StackTrace.Add(frame);
                }
            }
        }
        return error;
    }
}

[JsonSerializable(typeof(LambdaError))]
internal sealed partial class LambdaJsonContext : JsonSerializerContext;
