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
/// computed may reflect the change; every filled one was computed before it). When that slot is a
/// read that sets a watch, the event waits on it: the read may have registered the very watch that
/// fired, and its reply then shows the state before the change, so the event goes after it if the
/// read's zxid is below the event's, and before it otherwise (found by tests/Nemesis.Tests: a client
/// drops an event that arrives before the reply that set its watch).</item>
/// </list>
/// Whoever writes drains everything that is ready, then flushes once (OutboundQueue.Writer.cs).
/// <para>
/// Slots form an intrusive list and are reused once written, from a pool all connections share
/// (OutboundQueue.SlotPool.cs), so a reply allocates nothing here (GatewayPathBenchmarks) and an idle
/// connection holds no slot. The queue of submitted writes may still hold a written write's slot: its
/// entries carry the slot's generation, which a reuse advances, so a stale entry is recognised.
/// </para>
/// </summary>
public sealed partial class OutboundQueue
{
    private readonly Lock _lock = new();
    private readonly SlotPool _slots;
    private readonly SlotPool.Stripe _stripe;

    // The slots in writing order: replies in request order, events placed among them.
    private Slot? _head;
    private Slot? _tail;

    /// <summary>Slots of submitted writes whose place in the total order is not known yet, oldest first (made at the first write).</summary>
    private Queue<(Slot Slot, int Generation)>? _submitted;
    private readonly WakeupSignal _wakeup = new();

    // The slots the writer took to write, chained through Slot.Next (out of the list by then).
    private Slot? _takenHead;
    private Slot? _takenTail;

    // Holds no array while idle: rented for a write, given back once it is sent (issue 14).
    private readonly FrameBuffer _buffer = FrameBuffer.Pooled();
    private Slot? _firstPending;
    // Counts fills and posts, under _lock (Slot.FillOrder).
    private long _fills;
    private bool _closeWhenDrained;
    private bool _closed;

    // The writer's role: held by the writer loop or the read loop while it writes (the taken slots, _buffer).
    private bool _writing;

    // While the read loop dispatches a read's frames: its thread, and whether the writer loop was
    // woken meanwhile and held off (EndReadLoopBatchAsync writes what is ready or wakes the loop).
    private int _readLoopThread = -1;
    private bool _wakeDeferred;

    /// <summary>A queue whose written slots go to the pool every connection shares.</summary>
    public OutboundQueue()
        : this(SlotPool.Shared)
    {
    }

    /// <summary>A queue that reuses slots from <paramref name="slots"/> (tests: a pool of their own).</summary>
    internal OutboundQueue(SlotPool slots)
    {
        _slots = slots;
        _stripe = slots.Assign();
    }

    /// <summary>Where written slots go (tests).</summary>
    internal SlotPool Slots => _slots;

    /// <summary>Whether the queue holds an output buffer (tests: an idle one holds none).</summary>
    internal bool HoldsWriteBuffer => _buffer.Capacity > 0;

    /// <summary>The slot <see cref="Reserve"/> returned last (read loop only).</summary>
    public Slot? LastReserved { get; private set; }

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
            LastReserved = slot;
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
            if (slot.Abandoned)
            {
                return;
            }
            slot.Zxid = zxid;
            slot.Error = error;
            slot.Body = body;
            slot.Silent |= body.IsUnanswered;
            slot.CloseAfter = closeAfter;
            slot.Ready = true;
            slot.FillOrder = ++_fills;
            PlaceParkedEvents(slot, zxid);
            AdvanceFirstPending();
            if (_readLoopThread == Environment.CurrentManagedThreadId)
            {
                _wakeDeferred = true;
                return;
            }
        }
        _wakeup.Signal();
    }

    /// <summary>
    /// Fills a slot that ends the connection and goes out ahead of the replies not computed yet, which are
    /// then never sent. 3.8.0 answers a failed auth on its I/O thread, outside the request pipeline: the
    /// AuthFailed follows the replies already queued and the connection closes, so replies to requests
    /// still in flight are lost (their writes still apply). Called only by the read loop.
    /// </summary>
    public void CompleteAheadAndClose(Slot slot, long zxid, ErrorCode error)
    {
        lock (_lock)
        {
            for (var s = _head; s is not null && s != slot;)
            {
                var next = s.Next;
                if (!s.Ready)
                {
                    Unlink(s);
                    s.Abandoned = true;
                }
                s = next;
            }
            _firstPending = _head;
            AdvanceFirstPending();
        }
        Complete(slot, zxid, error, ReplyBody.None, closeAfter: true);
    }

    /// <summary>
    /// A bad frame ends the connection as 3.8.0's I/O thread ends it: at once. Every reply and event not
    /// yet written is dropped, except the replies that thread answers itself (auth, sasl), and the
    /// connection closes once those are out. <paramref name="rightBeforeTheBadFrame"/>, the slot of the
    /// frame just before the bad one in the same read, is dropped even when it is an answered auth or
    /// sasl: 3.8.0 reads one
    /// frame per pass and reads before it writes, so the bad length is read, and the connection closed,
    /// before its queued answer is written (regression auth-answer-lost-to-the-next-bad-frame). Called
    /// only by the read loop.
    /// </summary>
    public void DropUnwrittenAtFramingError(Slot? rightBeforeTheBadFrame = null)
    {
        lock (_lock)
        {
            for (var s = _head; s is not null;)
            {
                var next = s.Next;
                if (!(s.Ready && s.OpType is (int)OpCode.Auth or (int)OpCode.Sasl) || s == rightBeforeTheBadFrame)
                {
                    Unlink(s);
                    s.Abandoned = true;
                }
                s = next;
            }
            _firstPending = null;
        }
    }

    /// <summary>
    /// Fills a slot with no reply: once every earlier reply is written, the connection closes, as
    /// ZooKeeper closes a connection whose request made it throw an IOException. Any thread.
    /// </summary>
    public void CompleteWithoutReply(Slot slot)
    {
        lock (_lock)
        {
            slot.Silent = true;
        }
        Complete(slot, 0, ErrorCode.Ok, ReplyBody.None, closeAfter: true);
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
            slot.FillOrder = ++_fills;
            if (!PlaceEvent(slot, _firstPending))
            {
                return;
            }
        }
        _wakeup.Signal();
    }

    /// <summary>
    /// Places an event at or after <paramref name="from"/>: before the first slot that may show its
    /// change, or parked on that slot when it is an unfilled watching read (<see cref="PlaceParkedEvents"/>
    /// places it once the read's zxid is known). Returns whether the event is in the list, to be written.
    /// Under _lock.
    /// </summary>
    private bool PlaceEvent(Slot eventSlot, Slot? from)
    {
        var before = from;
        while (before is not null && Precedes(before, eventSlot))
        {
            before = before.Next;
        }
        if (before is null)
        {
            AddLast(eventSlot);
        }
        else if (before is { Ready: false, SetsWatch: true })
        {
            (before.Parked ??= []).Add(eventSlot);
            return false;
        }
        else
        {
            AddBefore(before, eventSlot);
        }
        return true;
    }

    /// <summary>Records that a reserved read sets a watch; before the read runs, so that any event of that watch sees it.</summary>
    public void MarkSetsWatch(Slot slot)
    {
        lock (_lock)
        {
            slot.SetsWatch = true;
        }
    }

    /// <summary>
    /// Whether <paramref name="slot"/> goes out before the event: it was filled before the event was
    /// posted (computed before the change was applied), or it is a write ordered before the event's
    /// transaction, or it was filled later but at a zxid below the event's (a read of the state before
    /// the change, a write before it). An event parked on a watching read is placed only when that read
    /// is filled, so the slots after the read may have been filled after the post: only their zxid tells.
    /// </summary>
    private static bool Precedes(Slot slot, Slot eventSlot)
    {
        if (slot.Ready)
        {
            return slot.FillOrder < eventSlot.FillOrder || (slot.Zxid != 0 && slot.Zxid < eventSlot.Zxid);
        }
        return slot.OrderedZxid != 0 && slot.OrderedZxid < eventSlot.Zxid;
    }

    /// <summary>
    /// Puts the events parked on a watching read around it, now that its zxid is known. Under _lock.
    /// Those of changes the read saw go just before it; the others are placed as if posted now, from the
    /// slot after it on: a second watching read still unfilled there holds them in turn, since it too may
    /// have set the watch that fired (two pipelined getData with watches, both before the change).
    /// </summary>
    private void PlaceParkedEvents(Slot read, long readZxid)
    {
        if (read.Parked is not { } parked)
        {
            return;
        }
        read.Parked = null;
        // In zxid order: each later event is searched for from the read on, so it lands after the earlier ones.
        foreach (var e in parked)
        {
            if (e.Zxid <= readZxid)
            {
                AddBefore(read, e);
            }
            else
            {
                PlaceEvent(e, read.Next);
            }
        }
    }

    /// <summary>Moves _firstPending past filled slots. Under _lock.</summary>
    private void AdvanceFirstPending()
    {
        // Events are filled when placed, so the first unfilled slot is always a reply.
        while (_firstPending is { Ready: true })
        {
            _firstPending = _firstPending.Next;
        }
    }

    /// <summary>Records that a reserved slot's request was submitted as a write (in submission order).</summary>
    public void MarkSubmitted(Slot slot)
    {
        lock (_lock)
        {
            (_submitted ??= new()).Enqueue((slot, slot.Generation));
        }
    }

    /// <summary>The oldest submitted write not yet ordered took its place in the total order at <paramref name="zxid"/>.</summary>
    public void ResolveOldestSubmitted(long zxid)
    {
        lock (_lock)
        {
            // A slot already answered was never ordered (its submission failed), and one reused since
            // (another generation) was answered too: neither is this one.
            while (_submitted is not null && _submitted.TryDequeue(out var entry))
            {
                if (entry.Slot.Generation == entry.Generation && !entry.Slot.Ready)
                {
                    entry.Slot.OrderedZxid = zxid;
                    return;
                }
            }
        }
    }

    // ---- the intrusive list and the pool, under _lock -------------------------------------------

    private Slot Rent() => _stripe.Rent();

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

    private void AddAfter(Slot after, Slot slot)
    {
        slot.Previous = after;
        slot.Next = after.Next;
        if (after.Next is null)
        {
            _tail = slot;
        }
        else
        {
            after.Next.Previous = slot;
        }
        after.Next = slot;
    }

    private void Unlink(Slot slot)
    {
        if (slot.Previous is null)
        {
            _head = slot.Next;
        }
        else
        {
            slot.Previous.Next = slot.Next;
        }
        if (slot.Next is null)
        {
            _tail = slot.Previous;
        }
        else
        {
            slot.Next.Previous = slot.Previous;
        }
        slot.Next = null;
        slot.Previous = null;
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
