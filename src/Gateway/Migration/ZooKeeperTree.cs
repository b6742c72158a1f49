using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Migration;

/// <summary>A node as ZooKeeper's DataTree holds it: data, ACL, the persisted stat (StatPersisted), children.</summary>
internal sealed class ZooKeeperNode(byte[]? data, IReadOnlyList<Acl> acl, Stat stat)
{
    public byte[]? Data = data;
    public IReadOnlyList<Acl> Acl = acl;
    /// <summary>StatPersisted's nine fields; DataLength and NumChildren are filled in at the end.</summary>
    public Stat Stat = stat;
    public readonly HashSet<string> Children = new(StringComparer.Ordinal);
}

/// <summary>
/// ZooKeeper's DataTree as a snapshot load and a log replay change it, with 3.8's rules for a fuzzy
/// snapshot (DataTree.createNode/deleteNode/processTxn): a create of a node already there is ignored
/// but may still raise the parent's cversion and pzxid, a delete of a missing node still moves the
/// parent's pzxid, and neither moves them backwards. Paths are ZooKeeper's: the root is "".
/// </summary>
internal sealed class ZooKeeperTree
{
    private readonly Dictionary<string, ZooKeeperNode> _nodes = new(StringComparer.Ordinal);
    // Session id → its ephemeral nodes, for closeSession (DataTree.ephemerals).
    private readonly Dictionary<long, HashSet<string>> _ephemerals = [];

    public int Count => _nodes.Count;

    public bool TryGet(string path, out ZooKeeperNode node) => _nodes.TryGetValue(path, out node!);

    /// <summary>Adds a node read from a snapshot, whose parent came before it (DataTree.deserialize). False: no parent.</summary>
    public bool AddFromSnapshot(string path, ZooKeeperNode node)
    {
        if (path.Length > 0)
        {
            int slash = path.LastIndexOf('/');
            if (slash < 0 || !_nodes.TryGetValue(path[..slash], out var parent))
            {
                return false;
            }
            parent.Children.Add(path[(slash + 1)..]);
        }
        _nodes[path] = node;
        Track(path, node.Stat.EphemeralOwner);
        return true;
    }

    /// <summary>DataTree.createNode: false when the parent is missing or the node exists (both ignored on replay).</summary>
    public bool Create(string path, byte[]? data, IReadOnlyList<Acl> acl, long ephemeralOwner, int parentCversion, long zxid, long time, bool fixParentWhenExists)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0 || !_nodes.TryGetValue(path[..slash], out var parent))
        {
            return false;
        }
        string name = path[(slash + 1)..];
        if (parent.Children.Contains(name))
        {
            // processTxn's fix-up, for plain creates only: a create replayed over a fuzzy snapshot.
            if (fixParentWhenExists)
            {
                RaiseCversion(parent, parentCversion, zxid);
            }
            return false;
        }
        RaiseCversion(parent, parentCversion, zxid);
        parent.Children.Add(name);
        _nodes[path] = new ZooKeeperNode(data, acl, new Stat(zxid, zxid, time, time, 0, 0, 0, ephemeralOwner, 0, 0, zxid));
        Track(path, ephemeralOwner);
        return true;
    }

    /// <summary>DataTree.deleteNode: the parent's pzxid moves even when the child is already gone.</summary>
    public bool Delete(string path, long zxid)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0 || !_nodes.TryGetValue(path[..slash], out var parent))
        {
            return false;
        }
        parent.Children.Remove(path[(slash + 1)..]);
        if (zxid > parent.Stat.Pzxid)
        {
            parent.Stat = parent.Stat with { Pzxid = zxid };
        }
        if (!_nodes.Remove(path, out var node))
        {
            return false;
        }
        long owner = node.Stat.EphemeralOwner;
        if (IsSessionOwner(owner) && _ephemerals.TryGetValue(owner, out var paths))
        {
            paths.Remove(path);
        }
        return true;
    }

    public bool SetData(string path, byte[]? data, int version, long zxid, long time)
    {
        if (!_nodes.TryGetValue(path, out var node))
        {
            return false;
        }
        node.Data = data;
        node.Stat = node.Stat with { Mtime = time, Mzxid = zxid, Version = version };
        return true;
    }

    public bool SetAcl(string path, IReadOnlyList<Acl> acl, int version)
    {
        if (!_nodes.TryGetValue(path, out var node))
        {
            return false;
        }
        node.Acl = acl;
        node.Stat = node.Stat with { Aversion = version };
        return true;
    }

    /// <summary>DataTree.killSession: the session's ephemerals are deleted at the closeSession's zxid.</summary>
    public void CloseSession(long sessionId, long zxid)
    {
        if (_ephemerals.Remove(sessionId, out var paths))
        {
            foreach (string path in paths.ToList())
            {
                Delete(path, zxid);
            }
        }
    }

    /// <summary>
    /// Removes every ephemeral node: their sessions do not move to the gateway (docs/migration.md).
    /// The parent's stored cversion stays, so the cversion clients see goes up by one per child removed,
    /// as when ZooKeeper expires the session; its pzxid stays, since no transaction deletes them.
    /// </summary>
    public IReadOnlyList<(string Path, long SessionId)> DropEphemerals()
    {
        var dropped = new List<(string, long)>();
        foreach (var (session, paths) in _ephemerals)
        {
            foreach (string path in paths)
            {
                int slash = path.LastIndexOf('/');
                if (_nodes.Remove(path) && _nodes.TryGetValue(path[..slash], out var parent))
                {
                    parent.Children.Remove(path[(slash + 1)..]);
                }
                dropped.Add((DisplayPath(path), session));
            }
        }
        _ephemerals.Clear();
        dropped.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return dropped;
    }

    /// <summary>Every node in the gateway's form: "/" for the root, DataLength and NumChildren filled in.</summary>
    public IReadOnlyCollection<SeedNode> ToSeedNodes() =>
        [.. _nodes.Select(kv => new SeedNode(DisplayPath(kv.Key), kv.Value.Data,
            kv.Value.Stat with { DataLength = kv.Value.Data?.Length ?? 0, NumChildren = kv.Value.Children.Count }, kv.Value.Acl))];

    public static string DisplayPath(string path) => path.Length == 0 ? "/" : path;

    private static void RaiseCversion(ZooKeeperNode parent, int parentCversion, long zxid)
    {
        // -1: the transaction did not say (DataTree.createNode), so the next creation count.
        int cversion = parentCversion == -1 ? parent.Stat.Cversion + 1 : parentCversion;
        if (cversion > parent.Stat.Cversion)
        {
            parent.Stat = parent.Stat with { Cversion = cversion, Pzxid = zxid };
        }
    }

    private void Track(string path, long owner)
    {
        if (IsSessionOwner(owner))
        {
            if (!_ephemerals.TryGetValue(owner, out var paths))
            {
                _ephemerals[owner] = paths = new HashSet<string>(StringComparer.Ordinal);
            }
            paths.Add(path);
        }
    }

    // Containers and TTL nodes carry markers, not sessions (EphemeralType with extendedTypesEnabled).
    private static bool IsSessionOwner(long owner) =>
        owner != 0 && !NodeKinds.IsContainer(owner) && NodeKinds.TtlOf(owner) is null;
}
