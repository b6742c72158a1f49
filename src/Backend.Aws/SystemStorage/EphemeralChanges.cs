using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>The paths one request adds to and removes from each session's ephemeral set, gathered from its node writes.</summary>
internal sealed class EphemeralChanges
{
    private readonly Dictionary<long, SortedSet<string>> _added = new();
    private readonly Dictionary<long, SortedSet<string>> _removed = new();

    /// <summary>The sessions whose set changes.</summary>
    public IEnumerable<long> Owners => _added.Keys.Concat(_removed.Keys);

    public SortedSet<string>? Added(long owner) => _added.GetValueOrDefault(owner);

    public SortedSet<string>? Removed(long owner) => _removed.GetValueOrDefault(owner);

    /// <summary>Records a node's change of owner, if any.</summary>
    public void Track(string path, SystemNode? previous, SystemNode? next)
    {
        long oldOwner = previous?.Stat.EphemeralOwner ?? 0;
        long newOwner = next?.Stat.EphemeralOwner ?? 0;
        if (oldOwner == newOwner)
        {
            return;
        }
        // Negative owners mark containers and TTL nodes, not sessions.
        if (oldOwner > 0)
        {
            Add(_removed, oldOwner, path);
        }
        if (newOwner > 0)
        {
            Add(_added, newOwner, path);
        }
    }

    private static void Add(Dictionary<long, SortedSet<string>> sets, long owner, string path)
    {
        if (!sets.TryGetValue(owner, out var set))
        {
            sets[owner] = set = new SortedSet<string>(StringComparer.Ordinal);
        }
        set.Add(path);
    }
}
