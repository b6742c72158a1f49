using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Checking;

/// <summary>
/// Leaves out operations of unknown outcome that cannot have applied, before the search (whose cost
/// grows with the unknown operations open at once). Sound because every written value is unique and
/// each applied write makes exactly one version: when another value is known to be version k (a
/// write's acknowledged version, or a read's), a write of unknown outcome that would have made
/// version k did not apply. A compare-and-set could only make its expected version + 1; a blind
/// write could make any version, so it is left out only when every version up to the highest known
/// one is known to hold another value.
/// </summary>
public static class UnknownOutcomePruning
{
    public static IReadOnlyList<Operation> Prune(IReadOnlyList<Operation> ops)
    {
        var known = new Dictionary<int, string?>();
        foreach (var op in ops)
        {
            if (op.Outcome == Outcome.Ok && op.Version > 0)
            {
                known.TryAdd(op.Version, op.Value);
            }
        }
        var observed = known.Values.ToHashSet(StringComparer.Ordinal);
        int highest = known.Count == 0 ? 0 : known.Keys.Max();
        bool everyVersionKnown = Enumerable.Range(1, highest).All(known.ContainsKey);
        return [.. ops.Where(op => op.Outcome != Outcome.Unknown || observed.Contains(op.Value!) || !CannotHaveApplied(op))];

        bool CannotHaveApplied(Operation op) =>
            op.Kind == OpKind.Cas ? known.ContainsKey(op.ExpectedVersion + 1) || (everyVersionKnown && op.ExpectedVersion + 1 <= highest) : everyVersionKnown;
    }
}
