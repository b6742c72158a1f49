using System.Buffers;
using System.IO.Pipelines;
using ZkGateway.Backend;
using ZkGateway.Gateway.Connections;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Tests.Connections;

/// <summary>The ordering rules of the per-connection writer, checked on the bytes it writes.</summary>
public sealed class OutboundQueueTests
{
    private static Task<List<string>> RunAsync(Action<OutboundQueue> script) =>
        RunAsync(queue =>
        {
            script(queue);
            return Task.CompletedTask;
        });

    /// <summary>Runs the script against a queue whose writer loop runs meanwhile, then returns the frames written.</summary>
    private static async Task<List<string>> RunAsync(Func<OutboundQueue, Task> script)
    {
        var pipe = new Pipe();
        var queue = NewQueue();
        var writer = queue.RunAsync(pipe.Writer, CancellationToken.None);
        await script(queue);
        return await DrainAsync(queue, writer, pipe);
    }

    /// <summary>
    /// A queue with a slot pool of its own, so that other tests' queues do not take its slots. Four
    /// stripes: a queue's slots come back to its own stripe whichever thread wrote them, so reuse is seen.
    /// </summary>
    private static OutboundQueue NewQueue() => new(new OutboundQueue.SlotPool(stripes: 4, slotsPerStripe: 64));

    /// <summary>Lets the writer loop send what is left and stop, then returns the frames not read yet.</summary>
    private static async Task<List<string>> DrainAsync(OutboundQueue queue, Task writer, Pipe pipe)
    {
        queue.CloseWhenDrained();
        await writer.WaitAsync(TimeSpan.FromSeconds(5));
        await pipe.Writer.CompleteAsync();
        return await ReadFramesAsync(pipe.Reader, untilCompleted: true);
    }

    /// <summary>The frames in the pipe, described; all of them until the writer completes, or those written so far.</summary>
    private static async Task<List<string>> ReadFramesAsync(PipeReader input, bool untilCompleted)
    {
        var frames = new List<string>();
        while (true)
        {
            ReadResult result;
            if (untilCompleted)
            {
                result = await input.ReadAsync();
            }
            else if (!input.TryRead(out result))
            {
                return frames;
            }
            var buffer = result.Buffer;
            while (FrameReader.TryRead(ref buffer, JuteLimits.DefaultMaxBuffer, out var payload))
            {
                var reader = new JuteReader(payload.ToArray());
                var header = ReplyHeader.Read(ref reader);
                frames.Add(header.Xid == Xids.Notification
                    ? $"event {WatcherEvent.Read(ref reader).Type} zxid {header.Zxid}"
                    : $"reply {header.Xid} {header.Err}");
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || !untilCompleted)
            {
                return frames;
            }
        }
    }

    [Fact]
    public async Task Replies_leave_in_request_order_whatever_order_they_complete_in()
    {
        var frames = await RunAsync(q =>
        {
            var a = q.Reserve(1, 4);
            var b = q.Reserve(2, 4);
            var c = q.Reserve(3, 4);
            q.Complete(c, 10, ErrorCode.Ok, null);
            q.Complete(a, 10, ErrorCode.NoNode, null);
            q.Complete(b, 10, ErrorCode.Ok, null);
        });
        Assert.Equal(["reply 1 NoNode", "reply 2 Ok", "reply 3 Ok"], frames);
    }

    [Fact]
    public async Task An_event_goes_before_the_first_reply_not_yet_computed_and_after_computed_ones()
    {
        var frames = await RunAsync(q =>
        {
            var setWatch = q.Reserve(1, 4);
            var pendingWrite = q.Reserve(2, 5);
            var laterRead = q.Reserve(3, 4);
            q.Complete(setWatch, 10, ErrorCode.Ok, null);
            q.PostEvent(new WatchEvent(EventType.NodeDataChanged, "/x", 11));
            q.Complete(laterRead, 11, ErrorCode.Ok, null);
            q.Complete(pendingWrite, 11, ErrorCode.Ok, null);
        });
        Assert.Equal(["reply 1 Ok", "event NodeDataChanged zxid -1", "reply 2 Ok", "reply 3 Ok"], frames);
    }

    [Fact]
    public async Task An_event_of_a_change_after_a_watching_read_waits_for_that_reads_reply()
    {
        // The getData registered its watch and read the node at zxid 10; the change at 11 fires the
        // watch before the read's reply is filled. The client must see the reply first, or it drops the event.
        var frames = await RunAsync(q =>
        {
            var watchingRead = q.Reserve(1, 4);
            q.MarkSetsWatch(watchingRead);
            var laterRead = q.Reserve(2, 4);
            q.PostEvent(new WatchEvent(EventType.NodeDataChanged, "/x", 11));
            q.Complete(laterRead, 11, ErrorCode.Ok, null);
            q.Complete(watchingRead, 10, ErrorCode.Ok, null);
        });
        Assert.Equal(["reply 1 Ok", "event NodeDataChanged zxid -1", "reply 2 Ok"], frames);
    }

    [Fact]
    public async Task An_event_of_a_change_a_watching_read_already_saw_goes_before_its_reply()
    {
        // The read ran after the change at 11 (its zxid is 12): its reply shows the change, so the event
        // (of a watch set earlier) must come first, as for any other reply.
        var frames = await RunAsync(q =>
        {
            var watchingRead = q.Reserve(1, 4);
            q.MarkSetsWatch(watchingRead);
            q.PostEvent(new WatchEvent(EventType.NodeDataChanged, "/x", 11));
            q.PostEvent(new WatchEvent(EventType.NodeDeleted, "/y", 13));
            q.Complete(watchingRead, 12, ErrorCode.Ok, null);
        });
        Assert.Equal(["event NodeDataChanged zxid -1", "reply 1 Ok", "event NodeDeleted zxid -1"], frames);
    }

    /// <summary>
    /// Two pipelined watching reads, an event of a change at zxid 11 posted while both are unfilled:
    /// either read may have set the watch that fired, so the event follows each reply that shows the
    /// state before the change (zxid 10) and precedes one that shows it (zxid 12). The cases: both
    /// before, so both replies then the event, as ZooKeeper sends them; the second after; and the second
    /// filled first, after the change (the event must not be parked on a read already filled).
    /// </summary>
    [Theory]
    [InlineData(10, false, "reply 1 Ok,reply 2 Ok,event NodeDataChanged zxid -1")]
    [InlineData(12, false, "reply 1 Ok,event NodeDataChanged zxid -1,reply 2 Ok")]
    [InlineData(12, true, "reply 1 Ok,event NodeDataChanged zxid -1,reply 2 Ok")]
    public async Task An_event_after_two_pipelined_watching_reads_is_placed_by_each_reads_zxid(long secondZxid, bool secondFilledFirst, string expected)
    {
        var frames = await RunAsync(q =>
        {
            var first = q.Reserve(1, 4);
            q.MarkSetsWatch(first);
            var second = q.Reserve(2, 4);
            q.MarkSetsWatch(second);
            q.PostEvent(new WatchEvent(EventType.NodeDataChanged, "/x", 11));
            if (secondFilledFirst)
            {
                q.Complete(second, secondZxid, ErrorCode.Ok, null);
            }
            q.Complete(first, 10, ErrorCode.Ok, null);
            if (!secondFilledFirst)
            {
                q.Complete(second, secondZxid, ErrorCode.Ok, null);
            }
        });
        Assert.Equal(expected.Split(','), frames);
    }

    [Fact]
    public async Task A_close_after_reply_stops_the_writer_after_that_reply()
    {
        var frames = await RunAsync(q =>
        {
            var a = q.Reserve(1, 4);
            var b = q.Reserve(2, 0);
            var c = q.Reserve(3, 4);
            q.Complete(c, 10, ErrorCode.Ok, null);
            q.Complete(b, 10, ErrorCode.Unimplemented, null, closeAfter: true);
            q.Complete(a, 10, ErrorCode.Ok, null);
        });
        Assert.Equal(["reply 1 Ok", "reply 2 Unimplemented"], frames);
    }

    [Fact]
    public async Task A_reused_write_slot_is_not_mistaken_for_the_stale_entry_of_its_earlier_use()
    {
        var frames = await RunAsync(async q =>
        {
            // Write 1 is submitted and answered without ever being ordered (its submission failed); once
            // written, its slot goes back to the pool while the submitted queue still names it.
            var first = q.Reserve(1, 5);
            q.MarkSubmitted(first);
            q.Complete(first, 0, ErrorCode.SystemError, null);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (q.Slots.Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }
            var second = q.Reserve(2, 5);
            Assert.Same(first, second);
            var third = q.Reserve(3, 5);
            q.MarkSubmitted(second);
            q.MarkSubmitted(third);
            q.ResolveOldestSubmitted(20);
            q.ResolveOldestSubmitted(21);
            // The event of a transaction after write 3's must follow write 3's reply.
            q.PostEvent(new WatchEvent(EventType.NodeDataChanged, "/x", 22));
            q.Complete(second, 20, ErrorCode.Ok, null);
            q.Complete(third, 21, ErrorCode.Ok, null);
        });
        Assert.Equal(["reply 1 SystemError", "reply 2 Ok", "reply 3 Ok", "event NodeDataChanged zxid -1"], frames);
    }

    [Fact]
    public async Task Replies_completed_while_the_read_loop_dispatches_are_written_by_the_read_loop_without_the_writer_loop()
    {
        var pipe = new Pipe();
        var queue = NewQueue();
        queue.BeginReadLoopBatch();
        var a = queue.Reserve(1, 4);
        var b = queue.Reserve(2, 4);
        queue.Complete(a, 10, ErrorCode.Ok, null);
        await queue.EndReadLoopBatchAsync(pipe.Writer, CancellationToken.None);

        // No writer loop runs yet: the reply that was ready is in the pipe all the same, the unready one is not.
        Assert.Equal(["reply 1 Ok"], await ReadFramesAsync(pipe.Reader, untilCompleted: false));

        var writer = queue.RunAsync(pipe.Writer, CancellationToken.None);
        await Task.Run(() => queue.Complete(b, 11, ErrorCode.Ok, null));
        Assert.Equal(["reply 2 Ok"], await DrainAsync(queue, writer, pipe));
        Assert.Equal(2, queue.Slots.Count);
    }

    [Fact]
    public async Task A_reply_completed_on_another_thread_during_a_read_loop_batch_waits_for_the_batch_to_end()
    {
        var pipe = new Pipe();
        var queue = NewQueue();
        var writer = queue.RunAsync(pipe.Writer, CancellationToken.None);
        queue.BeginReadLoopBatch();
        var a = queue.Reserve(1, 4);
        await Task.Run(() => queue.Complete(a, 10, ErrorCode.Ok, null));
        // The writer loop was woken on that thread but holds off while the read loop may still find a bad frame.
        await Task.Delay(200);
        Assert.Empty(await ReadFramesAsync(pipe.Reader, untilCompleted: false));
        await queue.EndReadLoopBatchAsync(pipe.Writer, CancellationToken.None);
        Assert.Equal(["reply 1 Ok"], await DrainAsync(queue, writer, pipe));
    }

    [Fact]
    public async Task A_bad_frame_later_in_the_read_drops_a_reply_another_thread_completed_during_the_batch()
    {
        // The read loop's order at a framing error (regression framing-error-drops-the-reply-in-flight):
        // the create's reply completed on the committing thread must not reach the socket.
        var pipe = new Pipe();
        var queue = NewQueue();
        var writer = queue.RunAsync(pipe.Writer, CancellationToken.None);
        queue.BeginReadLoopBatch();
        var create = queue.Reserve(1, 1);
        await Task.Run(() => queue.Complete(create, 10, ErrorCode.Ok, null));
        await Task.Delay(200);
        queue.DropUnwrittenAtFramingError();
        queue.CancelReadLoopBatch();
        Assert.Empty(await DrainAsync(queue, writer, pipe));
    }

    [Fact]
    public async Task The_read_loop_leaves_a_closing_reply_to_the_writer_loop()
    {
        var pipe = new Pipe();
        var queue = NewQueue();
        queue.BeginReadLoopBatch();
        var a = queue.Reserve(1, 4);
        var b = queue.Reserve(2, 0);
        queue.Complete(a, 10, ErrorCode.Ok, null);
        queue.Complete(b, 10, ErrorCode.Unimplemented, null, closeAfter: true);
        await queue.EndReadLoopBatchAsync(pipe.Writer, CancellationToken.None);
        Assert.Equal(["reply 1 Ok"], await ReadFramesAsync(pipe.Reader, untilCompleted: false));

        // The writer loop sends it and stops: the connection ends there.
        await queue.RunAsync(pipe.Writer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        await pipe.Writer.CompleteAsync();
        Assert.Equal(["reply 2 Unimplemented"], await ReadFramesAsync(pipe.Reader, untilCompleted: true));
    }

    [Fact]
    public async Task Once_its_replies_are_written_an_idle_queue_holds_no_slot_and_no_buffer()
    {
        var pool = new OutboundQueue.SlotPool(stripes: 1, slotsPerStripe: 64);
        var queue = new OutboundQueue(pool);
        var pipe = new Pipe();
        var writer = queue.RunAsync(pipe.Writer, CancellationToken.None);
        var a = queue.Reserve(1, 4);
        var b = queue.Reserve(2, 4);
        queue.Complete(a, 10, ErrorCode.Ok, new GetDataResponse(new byte[600], default));
        queue.Complete(b, 10, ErrorCode.Ok, null);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (pool.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        // Both slots are back in the shared pool, and the buffer the 600-byte reply needed is returned.
        Assert.Equal(2, pool.Count);
        Assert.False(queue.HoldsWriteBuffer);
        Assert.Equal(["reply 1 Ok", "reply 2 Ok"], await DrainAsync(queue, writer, pipe));
    }

    [Fact]
    public void A_slot_pool_stripe_keeps_at_most_its_limit_and_hands_out_unchained_slots()
    {
        var pool = new OutboundQueue.SlotPool(stripes: 1, slotsPerStripe: 2);
        var stripe = pool.Assign();
        var slots = Enumerable.Range(0, 3).Select(_ => stripe.Rent()).ToArray();
        slots[0].Next = slots[1];
        slots[1].Next = slots[2];
        stripe.ReturnChain(slots[0]);
        Assert.Equal(2, pool.Count);

        var again = stripe.Rent();
        Assert.Contains(again, slots);
        Assert.Null(again.Next);
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public async Task The_writer_loop_ending_cancels_the_read_it_was_given()
    {
        var queue = NewQueue();
        var output = new Pipe();
        var input = new Pipe();
        var read = input.Reader.ReadAsync().AsTask();
        var writer = queue.RunAsync(output.Writer, CancellationToken.None, input.Reader);
        Assert.False(read.IsCompleted);

        queue.Abort();
        await writer.WaitAsync(TimeSpan.FromSeconds(5));
        // The handler awaits only its read loop: this is how it learns that the writer ended.
        Assert.True((await read.WaitAsync(TimeSpan.FromSeconds(5))).IsCanceled);
    }
}
