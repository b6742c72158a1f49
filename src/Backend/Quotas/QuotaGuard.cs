using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// ZooKeeperServer.checkQuota of 3.8.0, for the writer when <c>zookeeper.enforceQuota</c> is on: a
/// create or setData under a quota is checked against the limits and the usage of the applied tree
/// (user storage, as ZooKeeper reads its DataTree, not the requests still in flight). Past a soft
/// limit it only logs; past a hard limit the operation fails with QuotaExceeded.
/// </summary>
public sealed partial class QuotaGuard(IUserStorage user, ILogger logger, TimeProvider time)
{
    private readonly RateLogger _rateLogger = new(logger, time);

    /// <summary>The writer's guard: null (no check at all, as ZooKeeper) unless enforceQuota is on.</summary>
    public static QuotaGuard? For(BackendOptions options, IUserStorage user, ILoggerFactory? loggers, TimeProvider time) =>
        options.EnforceQuota ? new QuotaGuard(user, (loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("org.apache.zookeeper.server.ZooKeeperServer"), time) : null;

    public ValueTask<ErrorCode> CheckCreateAsync(string path, byte[]? data, CancellationToken ct) =>
        CheckAsync(path, data?.Length ?? 0, 1, ct);

    public ValueTask<ErrorCode> CheckSetDataAsync(string path, int lastLength, byte[]? data, CancellationToken ct) =>
        CheckAsync(path, (data?.Length ?? 0) - lastLength, 0, ct);

    private async ValueTask<ErrorCode> CheckAsync(string path, long bytesDiff, long countDiff, CancellationToken ct)
    {
        if (await QuotaOfAsync(path, ct).ConfigureAwait(false) is not { } quota)
        {
            return ErrorCode.Ok;
        }
        var (limitsFound, limitsData) = await DataAsync(QuotaPaths.LimitPath(quota), ct).ConfigureAwait(false);
        if (!limitsFound || StatsTrack.Parse(limitsData) is not { } limits)
        {
            MissingLimits(logger, QuotaPaths.LimitPath(quota));
            return ErrorCode.Ok;
        }
        bool checkCount = countDiff != 0 && (limits.Count > -1 || limits.CountHardLimit > -1);
        bool checkBytes = bytesDiff != 0 && (limits.Bytes > -1 || limits.ByteHardLimit > -1);
        if (!checkCount && !checkBytes)
        {
            return ErrorCode.Ok;
        }
        var (statsFound, statsData) = await DataAsync(QuotaPaths.StatPath(quota), ct).ConfigureAwait(false);
        if (!statsFound || StatsTrack.Parse(statsData) is not { } current)
        {
            MissingStats(logger, QuotaPaths.StatPath(quota));
            return ErrorCode.Ok;
        }
        if (checkCount && Exceeds(quota, path, "count", current.Count + countDiff, limits.CountHardLimit, limits.Count))
        {
            return ErrorCode.QuotaExceeded;
        }
        if (checkBytes && Exceeds(quota, path, "bytes", current.Bytes + bytesDiff, limits.ByteHardLimit, limits.Bytes, "Byte"))
        {
            return ErrorCode.QuotaExceeded;
        }
        return ErrorCode.Ok;
    }

    /// <summary>Logs a passed limit with ZooKeeper's wording; true when that limit is hard.</summary>
    private bool Exceeds(string quota, string path, string what, long newValue, long hardLimit, long softLimit, string limitName = "Count")
    {
        bool hard = hardLimit > -1;
        long limit = hard ? hardLimit : softLimit;
        if (newValue <= limit)
        {
            return false;
        }
        _rateLogger.Log($"Quota exceeded: {quota} [current {what}={newValue}, {(hard ? "hard" : "soft")}{limitName}Limit={limit}]");
        if (hard && QuotaPaths.TopNamespace(path) is { } ns)
        {
            QuotaExceededCounts.Shared.Add(ns);
        }
        return hard;
    }

    /// <summary>DataTree.getMaxPrefixWithQuota over the applied tree.</summary>
    private ValueTask<string?> QuotaOfAsync(string path, CancellationToken ct) =>
        QuotaLookup.FindAsync(path, node => user.ReadAsync(node, (n, _) => n?.Children, ct));

    private async ValueTask<(bool Found, byte[]? Data)> DataAsync(string path, CancellationToken ct) =>
        await user.ReadAsync(path, (node, _) => (node is not null, node?.Data), ct).ConfigureAwait(false);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Missing limit node for quota {Path}")]
    private static partial void MissingLimits(ILogger logger, string path);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Missing node for stat {Path}")]
    private static partial void MissingStats(ILogger logger, string path);
}
