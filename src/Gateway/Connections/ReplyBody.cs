using ZkGateway.Jute;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// The body of a reply, as the outbound queue writes it: nothing, a Jute record, or one of the two
/// shapes the hot replies have, kept as fields so that answering them allocates no response record —
/// a Stat (exists, setData) or a data buffer and a Stat (getData). The bytes are the same as those of
/// ExistsResponse/SetDataResponse and GetDataResponse.
/// </summary>
public readonly struct ReplyBody
{
    private enum Shape : byte
    {
        None,
        Record,
        Stat,
        DataAndStat,
        Unanswered,
        Headerless,
    }

    private readonly IJuteRecord? _record;
    private readonly byte[]? _data;
    private readonly Stat _stat;
    private readonly Shape _shape;

    private ReplyBody(Shape shape, IJuteRecord? record, byte[]? data, Stat stat)
    {
        _shape = shape;
        _record = record;
        _data = data;
        _stat = stat;
    }

    /// <summary>No body (an error reply, or a reply ZooKeeper sends as the header alone).</summary>
    public static ReplyBody None => default;

    public bool IsNone => _shape == Shape.None;

    /// <summary>No reply frame at all, the connection carrying on: 3.8.0's passing top-level check.</summary>
    public static ReplyBody Unanswered => new(Shape.Unanswered, null, null, default);

    public bool IsUnanswered => _shape == Shape.Unanswered;

    /// <summary>A record sent as the whole frame, without a reply header: 3.8.0's second ConnectResponse.</summary>
    public static ReplyBody Headerless(IJuteRecord record) => new(Shape.Headerless, record, null, default);

    public bool IsHeaderless => _shape == Shape.Headerless;

    /// <summary>A record's bytes; null is no body.</summary>
    public static ReplyBody Of(IJuteRecord? record) => record is null ? default : new(Shape.Record, record, null, default);

    /// <summary>A Stat alone: ExistsResponse and SetDataResponse.</summary>
    public static ReplyBody StatOnly(Stat stat) => new(Shape.Stat, null, null, stat);

    /// <summary>GetDataResponse: the data (null is written as a −1 buffer, as ZooKeeper keeps null data) and the Stat.</summary>
    public static ReplyBody DataAndStat(byte[]? data, Stat stat) => new(Shape.DataAndStat, null, data, stat);

    public void Write(ref JuteWriter writer)
    {
        switch (_shape)
        {
            case Shape.Record:
            case Shape.Headerless:
                _record!.Write(ref writer);
                break;
            case Shape.Stat:
                _stat.Write(ref writer);
                break;
            case Shape.DataAndStat:
                writer.WriteBuffer(_data);
                _stat.Write(ref writer);
                break;
        }
    }
}
