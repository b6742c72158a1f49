using ZkGateway.Backend;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Connections;

public sealed partial class OutboundQueue
{
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

        /// <summary>Closes the connection in its turn without sending a frame (ZooKeeper closing on an IOException).</summary>
        internal bool Silent;

        /// <summary>Taken out of the queue unanswered (see <see cref="CompleteAheadAndClose"/>): its late completion is ignored.</summary>
        internal bool Abandoned;
        internal int OpType;
        internal long StartTicks;

        /// <summary>Advanced on each reuse: an entry of the submitted queue names a slot and its generation.</summary>
        internal int Generation;

        /// <summary>For a submitted write: the zxid of its transaction once known, before its reply is built.</summary>
        internal long OrderedZxid;

        /// <summary>A read that sets a watch (see <see cref="MarkSetsWatch"/>).</summary>
        internal bool SetsWatch;

        /// <summary>Events that reached this unfilled watching read; placed before or after it when it is filled.</summary>
        internal List<Slot>? Parked;

        /// <summary>When the slot was filled (or the event posted), in the queue's own count: tells a reply computed before an event from one computed after it.</summary>
        internal long FillOrder;

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
            Silent = false;
            Abandoned = false;
            OrderedZxid = 0;
            SetsWatch = false;
            Parked = null;
            FillOrder = 0;
        }
    }
}
