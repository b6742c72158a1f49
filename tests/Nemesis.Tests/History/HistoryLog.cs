using System.Collections.Concurrent;
using System.Diagnostics;

namespace ZkGateway.Nemesis.History;

/// <summary>
/// Collects the operations of a run from concurrent clients. Times are the test process' monotonic
/// clock (<see cref="Stopwatch.GetTimestamp"/>), read right before a request is sent and right after
/// its answer arrives, so each recorded interval contains the server's linearization point.
/// </summary>
public sealed class HistoryLog
{
    private readonly ConcurrentQueue<Operation> _operations = new();
    private readonly ConcurrentDictionary<int, long> _lastAnswered = new();
    private int _nextId;

    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>A new operation id, in invocation order.</summary>
    public int NextId() => Interlocked.Increment(ref _nextId);

    public void Add(Operation operation)
    {
        _operations.Enqueue(operation);
        if (operation.Completed is { } completed)
        {
            _lastAnswered.AddOrUpdate(operation.Process, completed, (_, old) => Math.Max(old, completed));
        }
    }

    /// <summary>When <paramref name="process"/> last got an answer (ok or a definite failure); 0 if never.</summary>
    public long LastAnswered(int process) => _lastAnswered.GetValueOrDefault(process);

    public IReadOnlyList<Operation> Operations => [.. _operations.OrderBy(o => o.Id)];
}
