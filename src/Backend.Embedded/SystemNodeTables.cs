using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// The embedded system storage's node state: the nodes by path and the two indexes derived from them
/// (each session's ephemerals; containers and TTL nodes for the reaper). One object so that a lazy
/// recovery can build a whole one in the background and swap it in at once.
/// </summary>
internal sealed class NodeTables
{
    public Dictionary<string, SystemNode> Nodes { get; } = new(StringComparer.Ordinal);
    public Dictionary<long, SortedSet<string>> Ephemerals { get; } = [];
    public HashSet<string> ContainersAndTtls { get; } = new(StringComparer.Ordinal);

    public void Put(SystemNode node)
    {
        if (Nodes.TryGetValue(node.Path, out var old))
        {
            Track(old, add: false);
        }
        Nodes[node.Path] = node;
        Track(node, add: true);
    }

    /// <summary>A committed request's node writes, and the closing of its session's ephemeral index.</summary>
    public void Apply(CommitRequest request)
    {
        foreach (var write in request.Nodes)
        {
            if (write.NewState is { } state)
            {
                Put(state);
            }
            else if (Nodes.Remove(write.Path, out var old))
            {
                Track(old, add: false);
            }
        }
        if (request.ClosedSession != 0)
        {
            Ephemerals.Remove(request.ClosedSession);
        }
    }

    private void Track(SystemNode node, bool add)
    {
        // Container and TTL markers (negative owners) are not sessions; the reaper's index holds them.
        long owner = node.Stat.EphemeralOwner;
        if (owner < 0)
        {
            if (NodeKinds.IsContainer(owner) || NodeKinds.TtlOf(owner) is not null)
            {
                if (add)
                {
                    ContainersAndTtls.Add(node.Path);
                }
                else
                {
                    ContainersAndTtls.Remove(node.Path);
                }
            }
            return;
        }
        if (owner == 0)
        {
            return;
        }
        if (add)
        {
            if (!Ephemerals.TryGetValue(owner, out var set))
            {
                Ephemerals[owner] = set = new SortedSet<string>(StringComparer.Ordinal);
            }
            set.Add(node.Path);
        }
        else if (Ephemerals.TryGetValue(owner, out var set))
        {
            set.Remove(node.Path);
            if (set.Count == 0)
            {
                Ephemerals.Remove(owner);
            }
        }
    }
}
