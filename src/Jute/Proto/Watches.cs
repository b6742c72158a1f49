using ZkGateway.Jute.Protocol;

namespace ZkGateway.Jute.Proto;

/// <summary>
/// <c>SetWatches { long relativeZxid; vector&lt;ustring&gt; dataWatches; vector&lt;ustring&gt; existWatches;
/// vector&lt;ustring&gt; childWatches; }</c> (op 101, xid -8 from Java and C): re-registers watches after
/// a reconnect. Events the client missed since <see cref="RelativeZxid"/> are synthesized with zxid -1.
/// </summary>
public sealed record SetWatches(
    long RelativeZxid,
    IReadOnlyList<string>? DataWatches,
    IReadOnlyList<string>? ExistWatches,
    IReadOnlyList<string>? ChildWatches) : IJuteRecord, IJuteReadable<SetWatches>
{
    public static SetWatches Read(ref JuteReader reader) => new(
        reader.ReadLong(),
        JuteLists.ReadStringList(ref reader),
        JuteLists.ReadStringList(ref reader),
        JuteLists.ReadStringList(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(RelativeZxid);
        JuteLists.WriteStringList(ref writer, DataWatches);
        JuteLists.WriteStringList(ref writer, ExistWatches);
        JuteLists.WriteStringList(ref writer, ChildWatches);
    }
}

/// <summary>
/// <c>SetWatches2</c> (op 105): <see cref="SetWatches"/> plus <c>persistentWatches</c> and
/// <c>persistentRecursiveWatches</c>. Java uses it only when persistent watches exist.
/// </summary>
public sealed record SetWatches2(
    long RelativeZxid,
    IReadOnlyList<string>? DataWatches,
    IReadOnlyList<string>? ExistWatches,
    IReadOnlyList<string>? ChildWatches,
    IReadOnlyList<string>? PersistentWatches,
    IReadOnlyList<string>? PersistentRecursiveWatches) : IJuteRecord, IJuteReadable<SetWatches2>
{
    public static SetWatches2 Read(ref JuteReader reader) => new(
        reader.ReadLong(),
        JuteLists.ReadStringList(ref reader),
        JuteLists.ReadStringList(ref reader),
        JuteLists.ReadStringList(ref reader),
        JuteLists.ReadStringList(ref reader),
        JuteLists.ReadStringList(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(RelativeZxid);
        JuteLists.WriteStringList(ref writer, DataWatches);
        JuteLists.WriteStringList(ref writer, ExistWatches);
        JuteLists.WriteStringList(ref writer, ChildWatches);
        JuteLists.WriteStringList(ref writer, PersistentWatches);
        JuteLists.WriteStringList(ref writer, PersistentRecursiveWatches);
    }
}

/// <summary>
/// <c>AddWatchRequest { ustring path; int mode; }</c> (op 106). The reply body is a 4-byte
/// <see cref="ErrorResponse"/> with err 0, which the Java client requires.
/// </summary>
public sealed record AddWatchRequest(string? Path, AddWatchMode Mode) : IJuteRecord, IJuteReadable<AddWatchRequest>
{
    public static AddWatchRequest Read(ref JuteReader reader) => new(reader.ReadString(), (AddWatchMode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Mode);
    }
}

/// <summary><c>CheckWatchesRequest { ustring path; int type; }</c> (op 17); the reply is header-only, NoWatcher (-121) if none.</summary>
public sealed record CheckWatchesRequest(string? Path, WatcherType Type) : IJuteRecord, IJuteReadable<CheckWatchesRequest>
{
    public static CheckWatchesRequest Read(ref JuteReader reader) => new(reader.ReadString(), (WatcherType)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Type);
    }
}

/// <summary><c>RemoveWatchesRequest { ustring path; int type; }</c> (op 18).</summary>
public sealed record RemoveWatchesRequest(string? Path, WatcherType Type) : IJuteRecord, IJuteReadable<RemoveWatchesRequest>
{
    public static RemoveWatchesRequest Read(ref JuteReader reader) => new(reader.ReadString(), (WatcherType)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Type);
    }
}
