using Microsoft.Extensions.Logging;

namespace ZkGateway.Backend.Quotas;

/// <summary>
/// ZooKeeper's RateLogger (100 ms): a new message is logged at once as <c>Message:{msg} Value:{value}</c>;
/// repeats within the interval are counted and logged once as <c>[N times] Message: {msg}</c>.
/// </summary>
internal sealed partial class RateLogger(ILogger logger, TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private string? _message;
    private long _since;
    private int _repeats;

    public void Log(string message)
    {
        lock (_gate)
        {
            long now = time.GetTimestamp();
            if (message == _message)
            {
                _repeats++;
                if (time.GetElapsedTime(_since, now) >= Interval)
                {
                    Flush();
                    _message = message;
                    _since = now;
                }
                return;
            }
            Flush();
            _message = message;
            _since = now;
            First(logger, message, "null");
        }
    }

    private void Flush()
    {
        if (_message is not null && _repeats > 0)
        {
            Repeated(logger, _repeats > 1 ? $"[{_repeats} times] " : "", _message);
        }
        _message = null;
        _repeats = 0;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Message:{Message} Value:{Value}")]
    private static partial void First(ILogger logger, string message, string value);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Times}Message: {Message}")]
    private static partial void Repeated(ILogger logger, string times, string message);
}
