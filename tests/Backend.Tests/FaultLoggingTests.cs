using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Tests;

/// <summary>The passes the functions retry on their own still say, through the logger, that one failed.</summary>
public sealed class FaultLoggingTests
{
    [Fact]
    public async Task A_failed_reaper_pass_is_logged_and_the_next_pass_runs()
    {
        var logger = new EntriesLogger();
        var index = new FailingIndex();
        var reaper = new ReaperFunction(null!, index, (_, _) => throw new InvalidOperationException("no submits expected"), TimeProvider.System,
            new BackendOptions { ContainerCheckIntervalMs = 10 }, logger);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = reaper.RunAsync(stop.Token);

        while (index.Calls < 2 && !stop.IsCancellationRequested)
        {
            await Task.Delay(10);
        }
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.True(index.Calls >= 2, "the reaper stopped after its failed pass");
        var entry = logger.Entries.First(e => e.Exception is not null);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("storage unavailable", entry.Exception!.Message);
    }

    [Fact]
    public async Task A_failed_heartbeat_pass_is_logged_and_the_next_pass_runs()
    {
        var logger = new EntriesLogger();
        var leases = new FailingLeases();
        var heartbeat = new HeartbeatFunction(leases, null!, TimeProvider.System, logger);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = heartbeat.RunAsync(TimeSpan.FromMilliseconds(10), stop.Token);

        while (leases.Calls < 2 && !stop.IsCancellationRequested)
        {
            await Task.Delay(10);
        }
        await stop.CancelAsync();
        await run; // ends quietly once cancelled

        Assert.True(leases.Calls >= 2, "the heartbeat stopped after its failed pass");
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Exception?.Message == "storage unavailable");
    }

    private sealed class FailingIndex : INodeTypeIndex
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            throw new IOException("storage unavailable");
        }
    }

    /// <summary>A lease store whose liveness listing fails; nothing else may be called before it succeeds.</summary>
    private sealed class FailingLeases : ISessionLeaseStore
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<IReadOnlyDictionary<string, long>> ListGatewaysAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            throw new IOException("storage unavailable");
        }

        public ValueTask<bool> ClaimAsync(string owner, long sessionId, int timeoutMs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<bool> TryMarkClosingAsync(long sessionId, string? onlyIfOwner = null, long? onlyIfOwnerAliveUntilMs = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask RemoveAsync(long sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask RenewGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<bool> ForgetGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<SessionLease>> ListOwnedAsync(IReadOnlyCollection<string> owners, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class EntriesLogger : ILogger
    {
        public sealed record Entry(LogLevel Level, Exception? Exception);

        public ConcurrentQueue<Entry> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue(new Entry(logLevel, exception));
    }
}
