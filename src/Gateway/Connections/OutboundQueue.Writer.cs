using System.IO.Pipelines;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Connections;

// The writer's role: the writer loop, the read loop's batch, and the frames they write.
public sealed partial class OutboundQueue
{
    /// <summary>Told of each reply frame once it is written (the statistics); none by default.</summary>
    public IReplyObserver? ReplyObserver { get; set; }

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

    /// <summary>
    /// The writer loop. Returns when the connection should close; then cancels the pending read of
    /// <paramref name="input"/>, if given, so that the connection's read loop ends with it (the handler
    /// awaits the read loop alone: a Task.WhenAny of the two loops cost 88 B per idle session).
    /// </summary>
    public async Task RunAsync(PipeWriter output, CancellationToken cancellationToken, PipeReader? input = null)
    {
        // Cancellation ends the loop as Abort does; the wait itself takes no token and allocates nothing.
        using var cancelled = cancellationToken.Register(static state => ((OutboundQueue)state!).Abort(), this);
        try
        {
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
                bool stop = _takenHead is not null && await WriteTakenAsync(output, cancellationToken).ConfigureAwait(false);
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
        finally
        {
            input?.CancelPendingRead();
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
    /// Under the lock: moves the ready slots at the head to the taken chain and takes the writer's
    /// role if there are any. The read loop stops before a reply that closes the connection.
    /// </summary>
    private bool TakeReadyLocked(bool stopBeforeCloseAfter)
    {
        while (_head is { Ready: true } head && !(stopBeforeCloseAfter && head.CloseAfter))
        {
            RemoveFirst();
            if (_takenTail is null)
            {
                _takenHead = head;
            }
            else
            {
                _takenTail.Next = head;
            }
            _takenTail = head;
        }
        _writing = _takenHead is not null;
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
            for (var slot = _takenHead; slot is not null; slot = slot.Next)
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
                if (ReplyObserver is { } observer)
                {
                    for (var slot = _takenHead; slot is not null; slot = slot.Next)
                    {
                        if (!slot.IsEvent && !slot.Silent)
                        {
                            observer.ReplySent(slot.OpType, slot.StartTicks);
                        }
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
            // The frames are sent (or the peer is gone): an idle connection keeps no buffer.
            _buffer.Release();
            bool more;
            Slot? written;
            lock (_lock)
            {
                // Written slots are done with: their requests completed them as their last step. Reset
                // under this lock (a new generation, see SlotPool), re-chained for the pool.
                written = _takenHead;
                for (var slot = written; slot is not null;)
                {
                    var next = slot.Next;
                    slot.Reset();
                    slot.Next = next;
                    slot = next;
                }
                _takenHead = null;
                _takenTail = null;
                _writing = false;
                more = _head is { Ready: true } || _closeWhenDrained;
            }
            _stripe.ReturnChain(written);
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
