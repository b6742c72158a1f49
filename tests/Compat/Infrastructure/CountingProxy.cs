using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// An HTTP reverse proxy on 127.0.0.1 in front of one AWS API emulator that counts the requests it
/// receives by service and API, named as the SDK's request classes are (what the cost meter counts):
/// DynamoDB and SQS (JSON protocol) by their X-Amz-Target header, S3 by method and path shape.
/// Counting what arrives on the wire is independent of the meter, which counts in the SDK.
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byTable = new(StringComparer.Ordinal);

    private CountingProxy(WebApplication app, HttpClient upstream, int port)
    {
        _app = app;
        _upstream = upstream;
        Endpoint = $"http://127.0.0.1:{port}";
    }

    /// <summary>The URL clients use instead of the emulator's.</summary>
    public string Endpoint { get; }

    public static async Task<CountingProxy> StartAsync(string upstream)
    {
        int port = Net.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            // S3 bodies up to ~1 MB node data; the default 30 MB limit is fine, keep-alive as clients expect.
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        // Long polls (20 s) must not time out here; the SDK has its own timeouts.
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = new Uri(upstream),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var proxy = new CountingProxy(app, client, port);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        return proxy;
    }

    /// <summary>Requests received so far, by "service.Api".</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => _counts.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>DynamoDB requests by "dynamodb.Api@table", and failed or refused forwards (for failure messages).</summary>
    public IReadOnlyDictionary<string, long> DynamoByTable() => _byTable.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        _counts.AddOrUpdate(Classify(request), 1, (_, n) => n + 1);

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        if (request.Headers["X-Amz-Target"].ToString().StartsWith("DynamoDB_", StringComparison.Ordinal))
        {
            // Per table too, to tell which component a difference comes from.
            var match = System.Text.RegularExpressions.Regex.Match(System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length), "\"TableName\":\"([^\"]+)\"");
            _byTable.AddOrUpdate(Classify(request) + "@" + (match.Success ? match.Groups[1].Value : "?"), 1, (_, n) => n + 1);
        }
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path.ToUriComponent() + request.QueryString.ToUriComponent());
        if (body.Length > 0 || request.ContentLength is not null)
        {
            forward.Content = new ByteArrayContent(body.ToArray());
        }
        foreach (var (name, values) in request.Headers)
        {
            // The signature covers Host: it is passed on unchanged (the emulators do not check it against their own address).
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && forward.Content is not null)
            {
                forward.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
        {
            _byTable.AddOrUpdate($"failed:{Classify(request)}:{e.GetType().Name}", 1, (_, n) => n + 1);
            throw;
        }
        using var _ = response;
        if ((int)response.StatusCode >= 300)
        {
            _byTable.AddOrUpdate($"status:{Classify(request)}:{(int)response.StatusCode}", 1, (_, n) => n + 1);
        }
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            context.Response.Headers[name] = values.ToArray();
        }
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    /// <summary>"dynamodb.GetItem", "sqs.SendMessageBatch", "s3.PutObject", …</summary>
    internal static string Classify(HttpRequest request)
    {
        string target = request.Headers["X-Amz-Target"].ToString();
        if (target.StartsWith("DynamoDB_", StringComparison.Ordinal))
        {
            return "dynamodb." + target[(target.IndexOf('.') + 1)..];
        }
        if (target.StartsWith("AmazonSQS.", StringComparison.Ordinal))
        {
            return "sqs." + target["AmazonSQS.".Length..];
        }
        // S3, path-style (/bucket or /bucket/key): the SDK's request class names.
        string path = request.Path.Value?.Trim('/') ?? "";
        bool hasKey = path.Contains('/');
        var query = request.Query;
        string api = (request.Method, path.Length == 0, hasKey) switch
        {
            ("GET", true, _) => "ListBuckets",
            ("PUT", false, false) => "PutBucket",
            ("DELETE", false, false) => "DeleteBucket",
            ("HEAD", false, false) => "HeadBucket",
            ("GET", false, false) => query.ContainsKey("list-type") ? "ListObjectsV2" : "ListObjects",
            ("POST", false, false) when query.ContainsKey("delete") => "DeleteObjects",
            ("GET", false, true) => "GetObject",
            ("PUT", false, true) => request.Headers.ContainsKey("x-amz-copy-source") ? "CopyObject" : "PutObject",
            ("DELETE", false, true) => "DeleteObject",
            ("HEAD", false, true) => "GetObjectMetadata",
            _ => $"{request.Method}:{(hasKey ? "object" : "bucket")}",
        };
        return "s3." + api;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
