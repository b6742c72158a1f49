using ZkGateway.Jute;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// A request's computed reply, before the outbound queue writes it: the header's zxid and error, and
/// the body (<see cref="ReplyBody.None"/> on an error, except where ZooKeeper sends one anyway).
/// </summary>
internal readonly record struct Reply(long Zxid, ErrorCode Error, ReplyBody Body)
{
    public Reply(long zxid, ErrorCode error, IJuteRecord? body)
        : this(zxid, error, ReplyBody.Of(body))
    {
    }
}
