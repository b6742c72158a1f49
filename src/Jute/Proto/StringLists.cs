namespace ZkGateway.Jute.Proto;

/// <summary><c>vector&lt;ustring&gt;</c>: an int32 count (-1 = null), then the strings.</summary>
public static class StringLists
{
    public static List<string>? Read(ref JuteReader reader)
    {
        int count = reader.ReadVectorCount(4);
        if (count < 0)
        {
            return null;
        }
        var list = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(reader.ReadString() ?? "");
        }
        return list;
    }

    public static void Write(ref JuteWriter writer, IReadOnlyList<string>? list)
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
}
