using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Checking;

/// <summary>
/// Leaves out operations of unknown outcome that cannot have applied, before the search (whose cost
/// grows with the unknown operations open at once). Sound because every written value is unique and
/// each applied write makes exactly one version: when another value is known to be version k (a
/// write's acknowledged version, or a read's), a write of unknown outcome that would have made
/// version k did not apply. A compare-and-set can only make its expected version + 1. A blind write
/// invoked after an operation that returned version k can only make a version above k, and none
/// above the highest known one: it is left out when every version in between holds another value.
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
        // firstUnknown[v]: the lowest version >= v that no known operation holds (highest + 1 if none).
        var firstUnknown = new int[highest + 2];
        firstUnknown[highest + 1] = highest + 1;
        for (int v = highest; v >= 0; v--)
        {
            firstUnknown[v] = v > 0 && !known.ContainsKey(v) ? v : firstUnknown[v + 1];
        }
        // The highest version returned by operations completed by each time, to bound a blind write from below.
        var completed = ops.Where(o => o.Outcome == Outcome.Ok && o.Completed is not null && o.Version >= 0)
            .OrderBy(o => o.Completed).ToArray();
        var times = completed.Select(o => o.Completed!.Value).ToArray();
        var floor = new int[completed.Length];
        for (int i = 0; i < completed.Length; i++)
        {
            floor[i] = Math.Max(i > 0 ? floor[i - 1] : 0, completed[i].Version);
        }
        return [.. ops.Where(op => op.Outcome != Outcome.Unknown || observed.Contains(op.Value!) || !CannotHaveApplied(op))];

        bool CannotHaveApplied(Operation op)
        {
            if (op.Kind == OpKind.Cas)
            {
                int made = op.ExpectedVersion + 1;
                return known.ContainsKey(made) || made > highest;
            }
            int before = Array.BinarySearch(times, op.Invoked);
            int index = (before >= 0 ? before : ~before) - 1;
            int lowest = (index >= 0 ? floor[index] : 0) + 1;
            return lowest > highest || firstUnknown[lowest] > highest;
        }
    }
}
