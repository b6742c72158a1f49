namespace ZkGateway.Jute.Proto;

/// <summary>
/// <c>vector&lt;T&gt;</c> codecs shared by every record: an int32 count (-1 = null, below it empty, as
/// 3.8.0 reads it), then the elements.
/// Counts are bounded by what is left in the frame before anything is allocated
/// (<see cref="JuteReader.ReadWireVectorCount"/>).
/// </summary>
public static class JuteLists
{
    /// <summary>Smallest <c>ustring</c> element: its 4-byte length.</summary>
    public const int MinStringSize = 4;

    /// <summary>
    /// Reads a <c>vector&lt;ustring&gt;</c>. A null vector gives null. A null element (-1) is malformed:
    /// no ZooKeeper client sends one and no server code path could use it (paths, child names).
    /// </summary>
    public static List<string>? ReadStringList(ref JuteReader reader)
    {
        int count = reader.ReadWireVectorCount(MinStringSize);
        if (count < 0)
        {
            return null;
        }
        var list = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(reader.ReadString() ?? ThrowNullElement());
        }
        return list;
    }

    public static void WriteStringList(ref JuteWriter writer, IReadOnlyList<string>? list)
    {
        if (list is null)
        {
            writer.WriteInt(-1);
            return;
        }
        writer.WriteInt(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            writer.WriteString(list[i]);
        }
    }

    /// <summary>Reads a <c>vector&lt;record&gt;</c> whose elements take at least <paramref name="minElementSize"/> bytes.</summary>
    public static List<T>? ReadList<T>(ref JuteReader reader, int minElementSize) where T : IJuteReadable<T>
    {
        int count = reader.ReadWireVectorCount(minElementSize);
        if (count < 0)
        {
            return null;
        }
        var list = new List<T>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(T.Read(ref reader));
        }
        return list;
    }

    public static void WriteList<T>(ref JuteWriter writer, IReadOnlyList<T>? list) where T : IJuteRecord
    {
        if (list is null)
        {
            writer.WriteInt(-1);
            return;
        }
        writer.WriteInt(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            list[i].Write(ref writer);
        }
    }

    private static string ThrowNullElement()
    {
        JuteFormatException.ThrowInvalid("vector<ustring> holds a null element.");
        return null!;
    }
}
