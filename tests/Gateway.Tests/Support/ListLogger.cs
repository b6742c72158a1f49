using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Tests.Support;

/// <summary>A logger that keeps what it is given, for tests that check a failure is logged.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public sealed record LogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
}
