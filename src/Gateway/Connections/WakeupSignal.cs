using System.Threading.Tasks.Sources;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// An auto-reset signal with one waiter: the writer loop's wake-up. It replaces a bounded Channel of
/// one item, which cost about 500 B per idle session (issue 14, docs/performance.md); this is one small
/// object whose awaits allocate nothing. Signals that arrive while nobody waits coalesce into one.
/// </summary>
internal sealed class WakeupSignal : IValueTaskSource<bool>
{
    private const int Idle = 0;
    private const int Signalled = 1;
    private const int Waiting = 2;
    private const int Completed = 3;

    // Continuations run on the thread pool, as the channel's did: a signaller must not end up
    // running the writer loop's send inside its own lock-free path.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    /// <summary>Wakes the waiter, or the next wait if nobody waits now. Nothing once completed.</summary>
    public void Signal()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                    {
                        return;
                    }
                    break;
                case Waiting:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _core.SetResult(true);
                        return;
                    }
                    break;
                default: // Signalled already, or Completed.
                    return;
            }
        }
    }

    /// <summary>Ends the waits: the current and every later one return false.</summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref _state, Completed) == Waiting)
        {
            _core.SetResult(false);
        }
    }

    /// <summary>
    /// True when signalled (consuming the signal), false once completed. One waiter at a time: the
    /// previous wait must have returned.
    /// </summary>
    public ValueTask<bool> WaitAsync()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signalled:
                    if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
                    {
                        return new ValueTask<bool>(true);
                    }
                    break;
                case Completed:
                    return new ValueTask<bool>(false);
                default:
                    // Reset before publishing Waiting: a signaller may complete it right after.
                    _core.Reset();
                    if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
                    {
                        return new ValueTask<bool>(this, _core.Version);
                    }
                    break;
            }
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
