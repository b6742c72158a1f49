using System.Text;
using Microsoft.Extensions.Logging;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>A logger that keeps every formatted message, one line each, for assertions on what was logged.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly StringBuilder _lines = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.AppendLine(formatter(state, exception));
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            return _lines.ToString();
        }
    }
}
