namespace ZkGateway.Backend.Aws;

/// <summary>
/// Reads of this gateway against the applies of its own hosted distributor: many reads at once, or
/// one apply. A read holds it from its storage call until its callback ran (where watches are
/// registered); an apply from its first write until its watch triggers fired. So a read either saw
/// the old state and registered its watch before the trigger fired, or saw the new state after the
/// event was queued: ZooKeeper's watch event before data, in-process. Waiting readers go first when
/// an apply ends (there is one applier), an apply waits for the reads in flight.
/// </summary>
internal sealed class ReadApplyGate
{
    private readonly object _lock = new();
    private readonly List<TaskCompletionSource> _waitingReaders = [];
    private TaskCompletionSource? _waitingApply;
    private int _readers;
    private bool _applying;

    public Task EnterReadAsync()
    {
        lock (_lock)
        {
            if (!_applying && _waitingApply is null)
            {
                _readers++;
                return Task.CompletedTask;
            }
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waitingReaders.Add(waiter);
            return waiter.Task;
        }
    }

    public void ExitRead()
    {
        TaskCompletionSource? apply = null;
        lock (_lock)
        {
            _readers--;
            if (_readers == 0 && _waitingApply is not null)
            {
                apply = _waitingApply;
                _waitingApply = null;
                _applying = true;
            }
        }
        apply?.SetResult();
    }

    public Task EnterApplyAsync()
    {
        lock (_lock)
        {
            if (_applying || _waitingApply is not null)
            {
                throw new InvalidOperationException("One apply at a time.");
            }
            if (_readers == 0)
            {
                _applying = true;
                return Task.CompletedTask;
            }
            _waitingApply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waitingApply.Task;
        }
    }

    public void ExitApply()
    {
        List<TaskCompletionSource> readers;
        lock (_lock)
        {
            _applying = false;
            readers = [.. _waitingReaders];
            _waitingReaders.Clear();
            _readers += readers.Count;
        }
        foreach (var reader in readers)
        {
            reader.SetResult();
        }
    }
}
