using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The child names of large parents, kept between getChildren calls while the children do not
/// change, so that a repeat call neither copies the names again nor (with the encoding the gateway
/// keeps in a reused list, <see cref="ChildNames.EncodedVector"/>) encodes them again. At a million znodes a
/// call on a parent of 100,000 children spent its time reading the 100,000 scattered strings
/// (docs/performance.md, "getChildren of 100,000 children"); a repeat is now one copy of bytes.
/// <para>
/// A list is the same while the parent's czxid (the same node, not one re-created under the same
/// path), cversion and pzxid are: every create or delete of a child moves cversion and pzxid. Parents
/// under <see cref="MinChildren"/> children are copied as before (cheap, and most parents). The names
/// kept are bounded by <paramref name="budgetNames"/>; past it, everything kept is dropped at once
/// (rare, and simpler than an eviction order).
/// </para>
/// </summary>
internal sealed class LargeChildLists(int budgetNames = 2_000_000)
{
    /// <summary>Smaller parents are copied at each call.</summary>
    public const int MinChildren = 1024;

    private readonly Dictionary<string, Entry> _lists = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _kept;

    /// <summary>The names of <paramref name="node"/>'s children as they are now: kept ones if unchanged.</summary>
    public ChildNames Get(UserNode node)
    {
        var children = node.Children;
        if (children.Count < MinChildren)
        {
            return ChildNames.CopyOf(children);
        }
        var stat = node.Stat;
        lock (_lock)
        {
            if (_lists.TryGetValue(node.Path, out var kept) && kept.Czxid == stat.Czxid && kept.Cversion == stat.Cversion && kept.Pzxid == stat.Pzxid)
            {
                kept.Names.IsReused = true;
                return kept.Names;
            }
        }
        var names = ChildNames.CopyOf(children);
        lock (_lock)
        {
            if (_lists.Remove(node.Path, out var old))
            {
                _kept -= old.Names.Count;
            }
            if (_kept + names.Count > budgetNames)
            {
                _lists.Clear();
                _kept = 0;
            }
            if (names.Count <= budgetNames)
            {
                _lists[node.Path] = new Entry(stat.Czxid, stat.Cversion, stat.Pzxid, names);
                _kept += names.Count;
            }
        }
        return names;
    }

    /// <summary>How many names are kept (tests).</summary>
    internal long KeptNames
    {
        get
        {
            lock (_lock)
            {
                return _kept;
            }
        }
    }

    private sealed record Entry(long Czxid, int Cversion, long Pzxid, ChildNames Names);
}
