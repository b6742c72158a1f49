namespace ZkGateway.Gateway.Connections;

public sealed partial class OutboundQueue
{
    /// <summary>
    /// Written slots kept for reuse, shared by the connections: an idle connection holds no slot (issue
    /// 14: a per-connection pool kept a 224-byte slot, a stack and its array for each idle session), and
    /// a busy one still allocates none per reply. The pool is a set of stripes, each with its own lock;
    /// a queue is given one stripe for its life and always rents from and returns to it, so its slots
    /// cycle there whichever threads run its loops (striping by thread could leave one stripe full and
    /// another allocating). Each stripe keeps a bounded number and lets a burst's surplus go to the GC.
    /// Slots are chained through <see cref="Slot.Next"/>: the pool adds no nodes.
    /// </summary>
    /// <remarks>
    /// A slot reaches the pool only after <see cref="Slot.Reset"/> advanced its generation under its
    /// queue's lock, so a stale entry of that queue's submitted writes never matches it again, whichever
    /// connection reuses it.
    /// </remarks>
    internal sealed class SlotPool
    {
        /// <summary>The pool the gateway's connections share: a few stripes per core, so that busy connections rarely share one.</summary>
        public static SlotPool Shared { get; } = new(4 * Environment.ProcessorCount, SlotsPerStripe);

        /// <summary>Per stripe: a pipelined burst of its connections (64 in flight each), about 28 KiB.</summary>
        private const int SlotsPerStripe = 128;

        private readonly Stripe[] _stripes;
        private int _assigned;

        /// <param name="stripes">Independent stacks, each with its own lock (tests: one, to see reuse).</param>
        /// <param name="slotsPerStripe">The most each stripe keeps.</param>
        public SlotPool(int stripes, int slotsPerStripe)
        {
            _stripes = new Stripe[Math.Max(1, stripes)];
            for (int i = 0; i < _stripes.Length; i++)
            {
                _stripes[i] = new Stripe(slotsPerStripe);
            }
        }

        /// <summary>The slots kept now, over all stripes (tests).</summary>
        public int Count
        {
            get
            {
                int count = 0;
                foreach (var stripe in _stripes)
                {
                    lock (stripe.Lock)
                    {
                        count += stripe.Count;
                    }
                }
                return count;
            }
        }

        /// <summary>The stripe for a new queue, in turn.</summary>
        public Stripe Assign() => _stripes[(uint)Interlocked.Increment(ref _assigned) % (uint)_stripes.Length];

        /// <summary>One stack of reset slots under its own lock.</summary>
        internal sealed class Stripe(int limit)
        {
            public readonly Lock Lock = new();
            private Slot? _top;

            /// <summary>Kept now (read under <see cref="Lock"/>).</summary>
            public int Count { get; private set; }

            /// <summary>A reset slot: a kept one, or a new one when the stripe has none.</summary>
            public Slot Rent()
            {
                lock (Lock)
                {
                    if (_top is { } slot)
                    {
                        _top = slot.Next;
                        Count--;
                        slot.Next = null;
                        return slot;
                    }
                }
                return new Slot();
            }

            /// <summary>Keeps a chain of reset slots (linked through <see cref="Slot.Next"/>), as many as there is room for.</summary>
            public void ReturnChain(Slot? first)
            {
                if (first is null)
                {
                    return;
                }
                lock (Lock)
                {
                    while (first is not null && Count < limit)
                    {
                        var next = first.Next;
                        first.Next = _top;
                        _top = first;
                        Count++;
                        first = next;
                    }
                }
            }
        }
    }
}
