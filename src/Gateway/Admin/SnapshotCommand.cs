using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Admin;

/// <summary>
/// The AdminServer's <c>snapshot</c> (alias <c>snap</c>) command, from ZooKeeper 3.9 (3.8 has none): an
/// online, consistent backup of the running server, streamed as the response body with the
/// <c>last_zxid</c> and <c>snapshot_size</c> headers. As in 3.9.4 it needs the Authorization header and
/// every permission on <c>/</c>, answers 503 when <c>admin.snapshot.enabled</c> is false and 429 more
/// often than once per <c>admin.rateLimiterIntervalInMS</c>. What it streams is this gateway's backup
/// format (docs/backup.md), which <c>zkgateway restore</c> reads; ZooKeeper's snapshot format is not.
/// </summary>
internal sealed class SnapshotCommand
{
    public const string Name = "snapshot";
    public const string Alias = "snap";

    private readonly object _gate = new();
    private long _lastAllowedTicks = long.MinValue;

    public static bool Names(string command) => command is Name or Alias;

    public async Task HandleAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<GatewayOptions>();
        var backend = services.GetRequiredService<IZkBackend>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("ZkGateway.Admin");
        var denied = await AdminAuthentication.CheckAsync(context.Request.Headers.Authorization.FirstOrDefault(), backend, options,
            Perms.All, "/", context.RequestAborted).ConfigureAwait(false);
        if (denied is { } refusal)
        {
            await JsonAsync(context, refusal.Status, refusal.Error).ConfigureAwait(false);
            return;
        }
        if (!options.Admin.SnapshotEnabled)
        {
            logger.LogWarning("Snapshot command is disabled");
            await JsonAsync(context, StatusCodes.Status503ServiceUnavailable, null).ConfigureAwait(false);
            return;
        }
        if (backend.OnlineBackup is not { } source)
        {
            await JsonAsync(context, StatusCodes.Status500InternalServerError,
                $"the {options.Backend} backend keeps no local store to back up: see docs/backup.md").ConfigureAwait(false);
            return;
        }
        if (!TryTake(options.Admin.RateLimiterIntervalMs))
        {
            logger.LogWarning("Snapshot request was rate limited");
            await JsonAsync(context, StatusCodes.Status429TooManyRequests, null).ConfigureAwait(false);
            return;
        }
        bool streaming = !context.Request.Query.TryGetValue("streaming", out var value) || string.Equals(value[0], "true", StringComparison.OrdinalIgnoreCase);

        // Written to a file first, as 3.9 takes its snapshot file before streaming it: the size header comes first.
        string temp = Path.Combine(options.DataDir, $"backup-{Guid.NewGuid():N}.tmp");
        try
        {
            BackupSummary summary;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous))
            {
                summary = await source.WriteBackupAsync(file, context.RequestAborted).ConfigureAwait(false);
                context.Response.Headers["last_zxid"] = "0x" + summary.LastZxid.ToString("x", CultureInfo.InvariantCulture);
                context.Response.Headers["snapshot_size"] = summary.Bytes.ToString(CultureInfo.InvariantCulture);
                if (!streaming)
                {
                    await JsonAsync(context, StatusCodes.Status200OK, null).ConfigureAwait(false);
                    return;
                }
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = summary.Bytes;
                file.Position = 0;
                await file.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            }
            logger.LogInformation("Snapshot command: a backup up to zxid 0x{Zxid:x}, {Bytes} bytes, sent to {Remote}", summary.LastZxid, summary.Bytes, context.Connection.RemoteIpAddress);
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !context.Response.HasStarted)
        {
            logger.LogWarning(e, "Exception occurred when taking the snapshot via the snapshot admin command");
            await JsonAsync(context, StatusCodes.Status500InternalServerError, null).ConfigureAwait(false);
        }
    }

    /// <summary>One snapshot per interval (3.9's RateLimiter with one permit).</summary>
    private bool TryTake(int intervalMs)
    {
        long now = Environment.TickCount64;
        lock (_gate)
        {
            if (_lastAllowedTicks != long.MinValue && now - _lastAllowedTicks < intervalMs)
            {
                return false;
            }
            _lastAllowedTicks = now;
            return true;
        }
    }

    private static async Task JsonAsync(HttpContext context, int status, string? error)
    {
        byte[] body = AdminJson.Response(Name, error, []);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
