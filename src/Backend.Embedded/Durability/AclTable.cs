using ZkGateway.Jute;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// ACL lists written once per record or snapshot and referred to by index after that: most nodes share
/// one or two ACLs (world:anyone), and a create names two nodes. The reader hands out one shared list
/// per index, so nodes loaded together share their ACL in memory too (ZooKeeper's ACL cache idea).
/// </summary>
internal sealed class AclTable
{
    private readonly List<IReadOnlyList<Acl>> _lists = [];

    public AclTable()
    {
    }

    /// <summary>A table known in full before any reference is read (snapshot format 2 writes it after the entries).</summary>
    public AclTable(IEnumerable<IReadOnlyList<Acl>> lists) => _lists.AddRange(lists);

    /// <summary>The lists in index order, for a snapshot's table.</summary>
    public IReadOnlyList<IReadOnlyList<Acl>> Lists => _lists;

    /// <summary>Writes only the index of <paramref name="acl"/> (adding it to the table if new): the table is written elsewhere.</summary>
    public void WriteIndex(ref JuteWriter writer, IReadOnlyList<Acl> acl) => writer.WriteInt(IndexOf(acl));

    /// <summary>Reads an index into a table known in full.</summary>
    public IReadOnlyList<Acl> ReadIndex(ref JuteReader reader)
    {
        int index = reader.ReadInt();
        if (index < 0 || index >= _lists.Count)
        {
            JuteFormatException.ThrowInvalid($"ACL reference {index} with {_lists.Count} known.");
        }
        return _lists[index];
    }

    private int IndexOf(IReadOnlyList<Acl> acl)
    {
        for (int i = 0; i < _lists.Count; i++)
        {
            if (ReferenceEquals(_lists[i], acl) || _lists[i].SequenceEqual(acl))
            {
                return i;
            }
        }
        _lists.Add(acl);
        return _lists.Count - 1;
    }

    /// <summary>Writes a reference to <paramref name="acl"/>: its index, followed by the list the first time.</summary>
    public void Write(ref JuteWriter writer, IReadOnlyList<Acl> acl)
    {
        for (int i = 0; i < _lists.Count; i++)
        {
            if (ReferenceEquals(_lists[i], acl) || _lists[i].SequenceEqual(acl))
            {
                writer.WriteInt(i);
                return;
            }
        }
        writer.WriteInt(_lists.Count);
        Acl.WriteList(ref writer, acl);
        _lists.Add(acl);
    }

    public IReadOnlyList<Acl> Read(ref JuteReader reader)
    {
        int index = reader.ReadInt();
        if (index < _lists.Count && index >= 0)
        {
            return _lists[index];
        }
        if (index != _lists.Count)
        {
            JuteFormatException.ThrowInvalid($"ACL reference {index} with {_lists.Count} known.");
        }
        IReadOnlyList<Acl> acl = Acl.ReadList(ref reader) ?? [];
        _lists.Add(acl);
        return acl;
    }
}
