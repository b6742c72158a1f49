using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Checking;

/// <summary>What the check of one key found.</summary>
/// <param name="Linearizable">Null when the search ran out of its step budget (neither proven nor refuted).</param>
/// <param name="Explanation">For a violation: the longest linearized prefix's last state and the operations it could not place.</param>
public sealed record KeyVerdict(string Key, bool? Linearizable, int Operations, int Unknown, long Steps, string? Explanation);

/// <summary>
/// The Wing–Gong search as Lowe improved it ("Testing for linearizability", 2017), with the memo of
/// (linearized set, state) pairs already explored, on the <see cref="VersionedRegister"/> model, one key
/// at a time (znodes are independent, so the history is linearizable iff each key's is). Operations
/// with an unknown outcome have no return event: they may be linearized anywhere after their
/// invocation, or never, and never force a backtrack.
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>Search steps per key before giving up with an inconclusive verdict.</summary>
    public const long DefaultStepBudget = 20_000_000;

    public static IReadOnlyList<KeyVerdict> Check(IReadOnlyList<Operation> history, IReadOnlyDictionary<string, RegisterState> initial, long stepBudget = DefaultStepBudget) =>
        [.. history.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => CheckKey(g.Key, [.. g], initial.TryGetValue(g.Key, out var s) ? s : default, stepBudget))];

    public static KeyVerdict CheckKey(string key, IReadOnlyList<Operation> history, RegisterState initial, long stepBudget = DefaultStepBudget)
    {
        var ops = UnknownOutcomePruning.Prune(history);
        var list = new EventList(ops);
        int unknown = history.Count(o => o.Outcome == Outcome.Unknown);
        int unknownKept = ops.Count(o => o.Outcome == Outcome.Unknown);
        var memo = new HashSet<Snapshot>();
        var stack = new Stack<(EventList.Node Call, RegisterState Before)>();
        var linearized = new Bitset(ops.Count);
        var state = initial;
        int remainingDeterminate = ops.Count - unknownKept;
        int deepest = -1;
        string? deepestExplanation = null;
        long steps = 0;
        var entry = list.First;
        while (remainingDeterminate > 0)
        {
            if (++steps > stepBudget)
            {
                return new KeyVerdict(key, null, history.Count, unknown, steps, $"gave up after {stepBudget} steps at depth {stack.Count}");
            }
            if (entry is { IsCall: true })
            {
                var op = ops[entry.Index];
                if (VersionedRegister.Step(state, op, out var next))
                {
                    linearized.Set(entry.Index);
                    if (memo.Add(new Snapshot(linearized.Clone(), next)))
                    {
                        stack.Push((entry, state));
                        state = next;
                        if (op.Outcome != Outcome.Unknown)
                        {
                            remainingDeterminate--;
                        }
                        EventList.Lift(entry);
                        entry = list.First;
                        continue;
                    }
                    linearized.Clear(entry.Index);
                }
                entry = entry.Next;
                continue;
            }
            // A return event (or the end): the operation returning here could not be placed before it.
            if (stack.Count > deepest)
            {
                deepest = stack.Count;
                deepestExplanation = Explain(state, entry, ops, list);
            }
            if (stack.Count == 0)
            {
                return new KeyVerdict(key, false, history.Count, unknown, steps, deepestExplanation);
            }
            var (call, before) = stack.Pop();
            state = before;
            linearized.Clear(call.Index);
            if (ops[call.Index].Outcome != Outcome.Unknown)
            {
                remainingDeterminate++;
            }
            EventList.Unlift(call);
            entry = call.Next;
        }
        return new KeyVerdict(key, true, history.Count, unknown, steps, null);
    }

    private static string Explain(RegisterState state, EventList.Node? blocked, IReadOnlyList<Operation> ops, EventList list)
    {
        string stuck = blocked is null ? "the end of the history" : ops[blocked.Index].ToString();
        var pending = list.PendingCalls(blocked).Select(i => ops[i].ToString()).Take(6);
        return $"after the longest linearizable prefix the node is ({state.Value}, v{state.Version}); none of the operations open then can be placed before {stuck} returns. Open: {string.Join("; ", pending)}";
    }

    /// <summary>A (linearized set, state) pair the search has been at.</summary>
    private readonly record struct Snapshot(Bitset Linearized, RegisterState State);
}
