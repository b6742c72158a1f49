using System.Collections;

namespace ZkGateway.Backend;

/// <summary>
/// A node's child names as getChildren hands them out: copied (the storage's set changes after the
/// read) into chunks small enough to stay off the large-object heap. One array for a parent of
/// 100,000 children is 800 KB, a large object; each of those counts toward a full collection, which
/// at a million znodes costs far more than the read itself (issue 14, docs/performance.md).
/// </summary>
public sealed class ChildNames : IReadOnlyList<string>
{
    // 8,192 references are 64 KiB, under the 85,000-byte large-object threshold.
    private const int ChunkShift = 13;
    private const int ChunkSize = 1 << ChunkShift;

    private readonly string[][] _chunks;

    private ChildNames(string[][] chunks, int count)
    {
        _chunks = chunks;
        Count = count;
    }

    /// <summary>The names of <paramref name="children"/> as they are now, in its order.</summary>
    public static ChildNames CopyOf(IReadOnlyCollection<string> children)
    {
        int count = children.Count;
        var chunks = new string[(count + ChunkSize - 1) >> ChunkShift][];
        int i = 0;
        foreach (string name in children)
        {
            if (i == count)
            {
                // The collection changed under us: a storage must hand out a set that does not change during the read.
                throw new InvalidOperationException("The children changed while they were copied.");
            }
            var chunk = chunks[i >> ChunkShift] ??= new string[Math.Min(ChunkSize, count - (i & ~(ChunkSize - 1)))];
            chunk[i & (ChunkSize - 1)] = name;
            i++;
        }
        if (i != count)
        {
            throw new InvalidOperationException("The children changed while they were copied.");
        }
        return new ChildNames(chunks, count);
    }

    public int Count { get; }

    /// <summary>
    /// Handed out again by a later call while the parent's children did not change (a large parent,
    /// LargeChildLists): worth encoding once and keeping the bytes. A list of a parent whose children
    /// keep changing is never reused, and is encoded as any other reply.
    /// </summary>
    public bool IsReused { get; internal set; }

    /// <summary>
    /// These names as a Jute <c>vector&lt;ustring&gt;</c>, once a reply of a reused list has encoded
    /// them: the names do not change, so a repeat reply copies these bytes instead of encoding
    /// 100,000 strings again. Two replies encoding at
    /// once make equal arrays; either may win.
    /// </summary>
    public byte[]? EncodedVector { get; set; }

    /// <summary>The arrays the names are held in (tests: none is a large object).</summary>
    internal IReadOnlyList<string[]> Chunks => _chunks;

    public string this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return _chunks[index >> ChunkShift][index & (ChunkSize - 1)];
        }
    }

    public IEnumerator<string> GetEnumerator()
    {
        foreach (var chunk in _chunks)
        {
            foreach (string name in chunk)
            {
                yield return name;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
