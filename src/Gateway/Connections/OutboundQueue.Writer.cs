using System.IO.Pipelines;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Connections;

// The writer's role: the writer loop, the read loop's batch, and the frames they write.
public sealed partial class OutboundQueue
{
    /// <summary>Raised after a reply frame is written: (op type, start ticks).</summary>
    public Action<int, long>? ReplySent { get; set; }

    /// <summary>Closes the connection once every slot reserved so far has been written.</summary>
    public void CloseWhenDrained()
    {
        lock (_lock)
        {
            _closeWhenDrained = true;
        }
        _wakeup.Signal();
    }

    /// <summary>Stops the writer without sending what is left.</summary>
    public void Abort()
    {
        lock (_lock)
        {
            _closed = true;
        }
        _wakeup.Complete();
    }

    /// <summary>The writer loop. Returns when the connection should close.</summary>
    public async Task RunAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        // Cancellation ends the loop as Abort does; the wait itself takes no token and allocates nothing.
        using var cancelled = cancellationToken.Register(static state => ((OutboundQueue)state!).Abort(), this);
        while (await _wakeup.WaitAsync().ConfigureAwait(false))
        {
            bool close;
            lock (_lock)
            {
                if (_writing)
                {
                    // The read loop is writing; it wakes this loop again if it leaves anything.
                    continue;
                }
                if (_readLoopThread != -1)
                {
                    // The read loop is dispatching one read's frames: a bad frame later in that read must
                    // still drop the replies of the frames before it, as 3.8.0 drops them (regression
                    // framing-error-drops-the-reply-in-flight, lost on a loaded machine when a write
                    // completed meanwhile). Its batch end writes or wakes this loop.
                    _wakeDeferred = true;
                    continue;
                }
                TakeReadyLocked(stopBeforeCloseAfter: false);
                close = _closeWhenDrained && _head is null;
            }
            bool stop = _drained.Count > 0 && await WriteTakenAsync(output, cancellationToken).ConfigureAwait(false);
            if (stop || close)
            {
                lock (_lock)
                {
                    _closed = true;
                }
                return;
            }
        }
    }

    /// <summary>
    /// The read loop is about to dispatch the frames of one read on this thread: replies it completes
    /// meanwhile do not wake the writer loop, <see cref="EndReadLoopBatchAsync"/> writes them.
    /// </summary>
    public void BeginReadLoopBatch()
    {
        lock (_lock)
        {
            _readLoopThread = Environment.CurrentManagedThreadId;
        }
    }

    /// <summary>
    /// After the read loop dispatched a read's frames: writes the replies they completed from this
    /// thread when the writer loop is idle (one flush for the whole read), instead of waking the
    /// writer loop on another thread. A read answered from memory then goes out without a thread
    /// hand-off (the get p50, docs/performance.md). A reply that closes the connection, and anything
    /// while another thread writes, is left to the writer loop.
    /// </summary>
    public ValueTask EndReadLoopBatchAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        bool wake;
        bool write;
        lock (_lock)
        {
            _readLoopThread = -1;
            wake = _wakeDeferred;
            _wakeDeferred = false;
            write = !_writing && !_closed && !_closeWhenDrained && TakeReadyLocked(stopBeforeCloseAfter: true);
        }
        if (write)
        {
            // Outside the lock: the send itself must not hold up threads completing other replies.
            // What is left ready afterwards (or a closing reply) wakes the writer loop from there.
            return WriteFromReadLoopAsync(output, cancellationToken);
        }
        if (wake)
        {
            _wakeup.Signal();
        }
        return default;
    }

    /// <summary>The read loop failed mid-read: what it completed is the writer loop's to send.</summary>
    public void CancelReadLoopBatch()
    {
        lock (_lock)
        {
            _readLoopThread = -1;
            _wakeDeferred = false;
        }
        _wakeup.Signal();
    }

    private async ValueTask WriteFromReadLoopAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        if (await WriteTakenAsync(output, cancellationToken).ConfigureAwait(false))
        {
            // The peer is gone: end the writer loop, and with it the connection.
            Abort();
        }
    }

    /// <summary>
    /// Under the lock: moves the ready slots at the head to <see cref="_drained"/> and takes the
    /// writer's role if there are any. The read loop stops before a reply that closes the connection.
    /// </summary>
    private bool TakeReadyLocked(bool stopBeforeCloseAfter)
    {
        while (_head is { Ready: true } head && !(stopBeforeCloseAfter && head.CloseAfter))
        {
            _drained.Add(head);
            RemoveFirst();
        }
        _writing = _drained.Count > 0;
        return _writing;
    }

    /// <summary>
    /// Writes the taken slots, flushes once, recycles them and gives up the writer's role (waking the
    /// writer loop if more became ready meanwhile). True when the connection should stop.
    /// </summary>
    private async ValueTask<bool> WriteTakenAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        bool stop = false;
        try
        {
            foreach (var slot in _drained)
            {
                if (!slot.Silent)
                {
                    WriteFrame(slot);
                }
                if (slot.CloseAfter)
                {
                    stop = true;
                    break;
                }
            }
            if (_buffer.WrittenCount > 0)
            {
                var flush = await output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                _buffer.Clear();
                foreach (var slot in _drained)
                {
                    if (!slot.IsEvent && !slot.Silent)
                    {
                        ReplySent?.Invoke(slot.OpType, slot.StartTicks);
                    }
                }
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    stop = true;
                }
            }
        }
        finally
        {
            bool more;
            lock (_lock)
            {
                // Written slots are done with: their requests completed them as their last step.
                foreach (var slot in _drained)
                {
                    if (_pool.Count < PoolLimit)
                    {
                        slot.Reset();
                        _pool.Push(slot);
                    }
                }
                _drained.Clear();
                _buffer.Clear();
                _writing = false;
                more = _head is { Ready: true } || _closeWhenDrained;
            }
            if (more)
            {
                _wakeup.Signal();
            }
        }
        return stop;
    }

    private void WriteFrame(Slot slot)
    {
        _buffer.BeginFrame();
        var writer = new JuteWriter(_buffer);
        if (slot.Body.IsHeaderless)
        {
            slot.Body.Write(ref writer);
            _buffer.EndFrame();
            return;
        }
        writer.WriteInt(slot.Xid);
        // ZooKeeper 3.8 sends every notification with zxid -1 (NIOServerCnxn.process); later versions
        // send the triggering zxid. Clients ignore it either way; we match the 3.8 bytes.
        writer.WriteLong(slot.IsEvent ? -1 : slot.Zxid);
        if (slot.IsEvent)
        {
            var e = slot.Event;
            writer.WriteInt((int)ErrorCode.Ok);
            writer.WriteInt((int)e.Type);
            writer.WriteInt((int)KeeperState.SyncConnected);
            writer.WriteString(e.Path);
        }
        else
        {
            writer.WriteInt((int)slot.Error);
            slot.Body.Write(ref writer);
        }
        _buffer.EndFrame();
    }
}
