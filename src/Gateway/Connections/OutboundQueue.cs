using System.IO.Pipelines;
using System.Threading.Channels;
using ZkGateway.Backend;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// The only writer to a connection's socket (its writer loop, or the read loop when that finds the
/// writer loop idle: see <see cref="EndReadLoopBatchAsync"/>; one of them at a time, the writer's role).
/// It keeps two promises of ZooKeeper's:
/// <list type="number">
/// <item>Replies leave in request order: a slot is reserved when a request is read, and filled when
/// its result is known; the writer never passes an unfilled slot.</item>
/// <item>A watch event leaves before any reply that could show its change, and after the reply that
/// set the watch: an event is placed just before the first still-unfilled slot (a reply not yet
/// computed may reflect the change; every filled one was computed before it).</item>
/// </list>
/// Whoever writes drains everything that is ready, then flushes once.
/// <para>
/// Slots form an intrusive list and are reused once written, so a reply allocates nothing here
/// (GatewayPathBenchmarks). The queue of submitted writes may still hold a written write's slot: its
/// entries carry the slot's generation, which a reuse advances, so a stale entry is recognised.
/// </para>
/// </summary>
public sealed class OutboundQueue
{
    /// <summary>Written slots kept for reuse, per connection; beyond this a burst's slots go to the GC.</summary>
    private const int PoolLimit = 64;

    /// <summary>A reply, or an event when <see cref="IsEvent"/> is set.</summary>
    public sealed class Slot
    {
        internal Slot? Next;
        internal Slot? Previous;
        internal int Xid;
        internal long Zxid;
        internal ErrorCode Error;
        internal ReplyBody Body;
        internal bool IsEvent;
        internal WatchEvent Event;
        internal bool Ready;
        internal bool CloseAfter;
        internal int OpType;
        internal long StartTicks;

        /// <summary>Advanced on each reuse: an entry of the submitted queue names a slot and its generation.</summary>
        internal int Generation;

        /// <summary>For a submitted write: the zxid of its transaction once known, before its reply is built.</summary>
        internal long OrderedZxid;

        internal void Reset()
        {
            Generation++;
            Next = null;
            Previous = null;
            Zxid = 0;
            Error = ErrorCode.Ok;
            Body = default;
            IsEvent = false;
            Event = default;
            Ready = false;
            CloseAfter = false;
            OrderedZxid = 0;
        }
    }

    private readonly Lock _lock = new();

    // The slots in writing order: replies in request order, events placed among them.
    private Slot? _head;
    private Slot? _tail;
    private readonly Stack<Slot> _pool = new();

    /// <summary>Slots of submitted writes whose place in the total order is not known yet, oldest first.</summary>
    private readonly Queue<(Slot Slot, int Generation)> _submitted = new();
    private readonly Channel<bool> _wakeup = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly List<Slot> _drained = [];
    private readonly FrameBuffer _buffer = new();
    private Slot? _firstPending;
    private bool _closeWhenDrained;
    private bool _closed;

    // The writer's role: held by the writer loop or the read loop while it writes (_drained, _buffer).
    private bool _writing;

    // While the read loop dispatches a read's frames: its thread, and whether a reply it completed
    // skipped waking the writer loop (EndReadLoopBatchAsync writes it or wakes the loop).
    private int _readLoopThread = -1;
    private bool _wakeDeferred;

    /// <summary>Written slots waiting for reuse (tests).</summary>
    internal int PooledSlots
    {
        get
        {
            lock (_lock)
            {
                return _pool.Count;
            }
        }
    }

    /// <summary>Raised after a reply frame is written: (op type, start ticks).</summary>
    public Action<int, long>? ReplySent { get; set; }

    /// <summary>Reserves the next reply position, in request order. Called only by the read loop.</summary>
    public Slot Reserve(int xid, int opType)
    {
        long start = Environment.TickCount64;
        lock (_lock)
        {
            var slot = Rent();
            slot.Xid = xid;
            slot.OpType = opType;
            slot.StartTicks = start;
            AddLast(slot);
            _firstPending ??= slot;
            return slot;
        }
    }


    /// <summary>
    /// Fills a slot. Any thread. The body is written whenever it is given: callers pass none on an
    /// error, except where ZooKeeper sends one anyway (multi, addWatch).
    /// </summary>
    public void Complete(Slot slot, long zxid, ErrorCode error, IJuteRecord? body, bool closeAfter = false) =>
        Complete(slot, zxid, error, ReplyBody.Of(body), closeAfter);

    /// <inheritdoc cref="Complete(Slot, long, ErrorCode, IJuteRecord?, bool)"/>
    public void Complete(Slot slot, long zxid, ErrorCode error, ReplyBody body, bool closeAfter = false)
    {
        lock (_lock)
        {
            slot.Zxid = zxid;
            slot.Error = error;
            slot.Body = body;
            slot.CloseAfter = closeAfter;
            slot.Ready = true;
            // Events are only ever inserted before _firstPending, so everything after it is a reply.
            while (_firstPending is { Ready: true })
            {
                _firstPending = _firstPending.Next;
            }
            if (_readLoopThread == Environment.CurrentManagedThreadId)
            {
                _wakeDeferred = true;
                return;
            }
        }
        _wakeup.Writer.TryWrite(true);
    }

    /// <summary>
    /// Queues a watch event before the first reply not yet computed, except that it goes after the
    /// replies of writes already ordered before its transaction (their zxid is known, their reply not
    /// built yet): ZooKeeper answers pipelined write N before it sends the events of write N+1. Any
    /// thread; never blocks.
    /// </summary>
    public void PostEvent(WatchEvent watchEvent)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            var slot = Rent();
            slot.Xid = Xids.Notification;
            slot.Zxid = watchEvent.Zxid;
            slot.IsEvent = true;
            slot.Event = watchEvent;
            slot.Ready = true;
            var before = _firstPending;
            while (before is not null && (before.Ready || (before.OrderedZxid != 0 && before.OrderedZxid < watchEvent.Zxid)))
            {
                before = before.Next;
            }
            if (before is null)
            {
                AddLast(slot);
            }
            else
            {
                AddBefore(before, slot);
            }
        }
        _wakeup.Writer.TryWrite(true);
    }

    /// <summary>Records that a reserved slot's request was submitted as a write (in submission order).</summary>
    public void MarkSubmitted(Slot slot)
    {
        lock (_lock)
        {
            _submitted.Enqueue((slot, slot.Generation));
        }
    }

    /// <summary>The oldest submitted write not yet ordered took its place in the total order at <paramref name="zxid"/>.</summary>
    public void ResolveOldestSubmitted(long zxid)
    {
        lock (_lock)
        {
            // A slot already answered was never ordered (its submission failed), and one reused since
            // (another generation) was answered too: neither is this one.
            while (_submitted.TryDequeue(out var entry))
            {
                if (entry.Slot.Generation == entry.Generation && !entry.Slot.Ready)
                {
                    entry.Slot.OrderedZxid = zxid;
                    return;
                }
            }
        }
    }

    /// <summary>Closes the connection once every slot reserved so far has been written.</summary>
    public void CloseWhenDrained()
    {
        lock (_lock)
        {
            _closeWhenDrained = true;
        }
        _wakeup.Writer.TryWrite(true);
    }

    /// <summary>Stops the writer without sending what is left.</summary>
    public void Abort()
    {
        lock (_lock)
        {
            _closed = true;
        }
        _wakeup.Writer.TryComplete();
    }

    /// <summary>The writer loop. Returns when the connection should close.</summary>
    public async Task RunAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        // Cancellation ends the loop as Abort does. The wait itself takes no token: a channel reuses
        // its waiter for an uncancellable wait, where a cancellable one allocates one per wake-up
        // (GatewayPathBenchmarks: 240 -> 136 B per reply slot).
        using var cancelled = cancellationToken.Register(static state => ((OutboundQueue)state!).Abort(), this);
        while (await _wakeup.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            _wakeup.Reader.TryRead(out _);
            bool close;
            lock (_lock)
            {
                if (_writing)
                {
                    // The read loop is writing; it wakes this loop again if it leaves anything.
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
            _wakeup.Writer.TryWrite(true);
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
        _wakeup.Writer.TryWrite(true);
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
                WriteFrame(slot);
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
                    if (!slot.IsEvent)
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
                _wakeup.Writer.TryWrite(true);
            }
        }
        return stop;
    }

    private void WriteFrame(Slot slot)
    {
        _buffer.BeginFrame();
        var writer = new JuteWriter(_buffer);
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

    // ---- the intrusive list and the pool, under _lock -------------------------------------------

    private Slot Rent() => _pool.TryPop(out var slot) ? slot : new Slot();

    private void AddLast(Slot slot)
    {
        slot.Previous = _tail;
        slot.Next = null;
        if (_tail is null)
        {
            _head = slot;
        }
        else
        {
            _tail.Next = slot;
        }
        _tail = slot;
    }

    private void AddBefore(Slot before, Slot slot)
    {
        slot.Next = before;
        slot.Previous = before.Previous;
        if (before.Previous is null)
        {
            _head = slot;
        }
        else
        {
            before.Previous.Next = slot;
        }
        before.Previous = slot;
    }

    private void RemoveFirst()
    {
        var first = _head!;
        _head = first.Next;
        if (_head is null)
        {
            _tail = null;
        }
        else
        {
            _head.Previous = null;
        }
        first.Next = null;
    }
}
