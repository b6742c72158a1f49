namespace ZkGateway.Jute.Data;

/// <summary><c>org.apache.zookeeper.data.Id { ustring scheme; ustring id; }</c></summary>
public readonly record struct Id(string Scheme, string Ident) : IJuteRecord, IJuteReadable<Id>
{
    public static readonly Id Anyone = new("world", "anyone");

    public static Id Read(ref JuteReader reader) => new(reader.ReadString() ?? "", reader.ReadString() ?? "");

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Scheme);
        writer.WriteString(Ident);
    }

    public override string ToString() => $"{Scheme}:{Ident}";
}
