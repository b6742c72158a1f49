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
/// Counting what arrives on the wire is independent of the meter, which counts in the SDK. Billing
/// units too, where the wire shows them: the capacity DynamoDB reports in its answers (read and
/// write apart), and SQS's 64 KB chunks of the message bodies sent or received.
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byTable = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (double Read, double Write, long Chunks)> _units = new(StringComparer.Ordinal);

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

    /// <summary>Billing units seen on the wire by "service.Api": DynamoDB's reported read and write capacity, SQS's 64 KB chunks.</summary>
    public IReadOnlyDictionary<string, (double Read, double Write, long Chunks)> Units() => _units.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

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
            if (Classify(request).StartsWith("sqs.", StringComparison.Ordinal))
            {
                // A long poll cancelled by its client (a consumer stopping) is a request all the same.
                CountUnits(Classify(request), body.ToArray(), [], 0);
            }
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
        string api = Classify(request);
        if (api.StartsWith("dynamodb.", StringComparison.Ordinal) || api.StartsWith("sqs.", StringComparison.Ordinal))
        {
            // JSON answers, read whole to see their units.
            byte[] answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
            CountUnits(api, body.ToArray(), answer, (int)response.StatusCode);
            await context.Response.Body.WriteAsync(answer, context.RequestAborted);
            return;
        }
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private void CountUnits(string api, byte[] requestBody, byte[] answer, int status)
    {
        double read = 0, write = 0;
        long chunks = 0;
        try
        {
            if (api.StartsWith("dynamodb.", StringComparison.Ordinal))
            {
                if (status != 200 || answer.Length == 0)
                {
                    return;
                }
                using var json = System.Text.Json.JsonDocument.Parse(answer);
                if (!json.RootElement.TryGetProperty("ConsumedCapacity", out var consumed))
                {
                    return;
                }
                bool readApi = api is "dynamodb.GetItem" or "dynamodb.Query" or "dynamodb.Scan" or "dynamodb.BatchGetItem" or "dynamodb.TransactGetItems";
                foreach (var c in consumed.ValueKind == System.Text.Json.JsonValueKind.Array ? consumed.EnumerateArray().ToList() : [consumed])
                {
                    double Number(string name) => c.TryGetProperty(name, out var v) ? v.GetDouble() : 0;
                    if (c.TryGetProperty("ReadCapacityUnits", out _) || c.TryGetProperty("WriteCapacityUnits", out _))
                    {
                        read += Number("ReadCapacityUnits");
                        write += Number("WriteCapacityUnits");
                    }
                    else if (readApi)
                    {
                        read += Number("CapacityUnits");
                    }
                    else
                    {
                        write += Number("CapacityUnits");
                    }
                }
            }
            else
            {
                // The bodies sent (SendMessage, SendMessageBatch) or received (ReceiveMessage), per started 64 KB.
                long bytes = 0;
                void Bodies(byte[] text, string list, string field)
                {
                    if (text.Length == 0)
                    {
                        return;
                    }
                    using var json = System.Text.Json.JsonDocument.Parse(text);
                    var root = json.RootElement;
                    if (list.Length == 0)
                    {
                        if (root.TryGetProperty(field, out var one))
                        {
                            bytes += System.Text.Encoding.UTF8.GetByteCount(one.GetString() ?? "");
                        }
                        return;
                    }
                    if (root.TryGetProperty(list, out var items) && items.ValueKind == System.Text.Json.JsonValueKind.Array)
                    {
                        foreach (var item in items.EnumerateArray())
                        {
                            bytes += item.TryGetProperty(field, out var b) ? System.Text.Encoding.UTF8.GetByteCount(b.GetString() ?? "") : 0;
                        }
                    }
                }
                switch (api)
                {
                    case "sqs.SendMessage": Bodies(requestBody, "", "MessageBody"); break;
                    case "sqs.SendMessageBatch": Bodies(requestBody, "Entries", "MessageBody"); break;
                    case "sqs.ReceiveMessage" when status == 200: Bodies(answer, "Messages", "Body"); break;
                }
                chunks = Math.Max(1, (bytes + 65535) / 65536);
            }
        }
        catch (System.Text.Json.JsonException)
        {
            return;
        }
        _units.AddOrUpdate(api, (read, write, chunks), (_, u) => (u.Read + read, u.Write + write, u.Chunks + chunks));
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
