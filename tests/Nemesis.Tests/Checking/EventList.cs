using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Checking;

/// <summary>
/// The history as a doubly linked list of call and return events in real-time order, from which the
/// linearizability search lifts an operation (its call and its return) and puts it back in O(1).
/// At equal times calls come first: intervals that only touch are taken as concurrent, which allows
/// more orders, never fewer.
/// </summary>
internal sealed class EventList
{
    private readonly Node _head = new(-1, true, long.MinValue);

    public EventList(IReadOnlyList<Operation> ops)
    {
        var events = new List<Node>(ops.Count * 2);
        for (int i = 0; i < ops.Count; i++)
        {
            var call = new Node(i, true, ops[i].Invoked);
            events.Add(call);
            if (ops[i].Completed is { } completed)
            {
                var ret = new Node(i, false, completed);
                call.Match = ret;
                events.Add(ret);
            }
        }
        events.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : b.IsCall.CompareTo(a.IsCall));
        var previous = _head;
        foreach (var e in events)
        {
            previous.Next = e;
            e.Previous = previous;
            previous = e;
        }
    }

    public Node? First => _head.Next;

    /// <summary>Takes a call and its return out of the list.</summary>
    public static void Lift(Node call)
    {
        Unlink(call);
        if (call.Match is { } ret)
        {
            Unlink(ret);
        }
    }

    /// <summary>Puts back what <see cref="Lift"/> took out (in the reverse order of lifting).</summary>
    public static void Unlift(Node call)
    {
        if (call.Match is { } ret)
        {
            Relink(ret);
        }
        Relink(call);
    }

    /// <summary>The operations whose call is still in the list before <paramref name="until"/>.</summary>
    public IEnumerable<int> PendingCalls(Node? until)
    {
        for (var e = First; e is not null && e != until; e = e.Next)
        {
            if (e.IsCall)
            {
                yield return e.Index;
            }
        }
    }

    private static void Unlink(Node n)
    {
        n.Previous!.Next = n.Next;
        if (n.Next is not null)
        {
            n.Next.Previous = n.Previous;
        }
    }

    private static void Relink(Node n)
    {
        n.Previous!.Next = n;
        if (n.Next is not null)
        {
            n.Next.Previous = n;
        }
    }

    internal sealed class Node(int index, bool isCall, long time)
    {
        public int Index { get; } = index;

        public bool IsCall { get; } = isCall;

        public long Time { get; } = time;

        /// <summary>A call's return event; null for a return, and for a call whose outcome is unknown.</summary>
        public Node? Match { get; set; }

        public Node? Previous { get; set; }

        public Node? Next { get; set; }
    }
}
