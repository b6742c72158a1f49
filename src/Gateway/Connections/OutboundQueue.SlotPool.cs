namespace ZkGateway.Gateway.Connections;

public sealed partial class OutboundQueue
{
    /// <summary>
    /// Written slots kept for reuse, shared by every connection: an idle connection holds no slot (issue
    /// 14: a per-connection pool kept a 224-byte slot, a stack and its array for each idle session), and
    /// a busy one still allocates none per reply. Striped by thread, so that connections served on
    /// different cores rarely take the same lock; each stripe keeps a bounded number and lets a burst's
    /// surplus go to the GC. Slots are chained through <see cref="Slot.Next"/>: the pool adds no nodes.
    /// </summary>
    /// <remarks>
    /// A slot reaches the pool only after <see cref="Slot.Reset"/> advanced its generation under its
    /// queue's lock, so a stale entry of that queue's submitted writes never matches it again, whichever
    /// connection reuses it.
    /// </remarks>
    internal sealed class SlotPool
    {
        /// <summary>The pool the gateway's connections share.</summary>
        public static SlotPool Shared { get; } = new(Environment.ProcessorCount, SlotsPerStripe);

        /// <summary>Per stripe: enough for a pipelined burst on every core's connections, about 56 KiB.</summary>
        private const int SlotsPerStripe = 256;

        private readonly Stripe[] _stripes;
        private readonly int _limit;

        /// <param name="stripes">Independent stacks, each with its own lock (tests: one, to see reuse).</param>
        /// <param name="slotsPerStripe">The most each stripe keeps.</param>
        public SlotPool(int stripes, int slotsPerStripe)
        {
            _stripes = new Stripe[Math.Max(1, stripes)];
            for (int i = 0; i < _stripes.Length; i++)
            {
                _stripes[i] = new Stripe();
            }
            _limit = slotsPerStripe;
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

        /// <summary>A reset slot: a kept one, or a new one when this thread's stripe has none.</summary>
        public Slot Rent()
        {
            var stripe = StripeOfThisThread();
            lock (stripe.Lock)
            {
                if (stripe.Top is { } slot)
                {
                    stripe.Top = slot.Next;
                    stripe.Count--;
                    slot.Next = null;
                    return slot;
                }
            }
            return new Slot();
        }

        /// <summary>Keeps a chain of reset slots (linked through <see cref="Slot.Next"/>), as many as the stripe has room for.</summary>
        public void ReturnChain(Slot? first)
        {
            if (first is null)
            {
                return;
            }
            var stripe = StripeOfThisThread();
            lock (stripe.Lock)
            {
                while (first is not null && stripe.Count < _limit)
                {
                    var next = first.Next;
                    first.Next = stripe.Top;
                    stripe.Top = first;
                    stripe.Count++;
                    first = next;
                }
            }
        }

        private Stripe StripeOfThisThread() => _stripes[(uint)Environment.CurrentManagedThreadId % (uint)_stripes.Length];

        private sealed class Stripe
        {
            public readonly Lock Lock = new();
            public Slot? Top;
            public int Count;
        }
    }
}
