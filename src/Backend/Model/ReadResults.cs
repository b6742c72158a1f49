using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>Result of a read: a value, or an error code. Zxid is the last applied zxid at read time.</summary>
public readonly record struct ReadResult<T>(ErrorCode Error, T? Value, long Zxid)
{
    public bool IsOk => Error == ErrorCode.Ok;

    public static ReadResult<T> Ok(T value, long zxid) => new(ErrorCode.Ok, value, zxid);

    public static ReadResult<T> Fail(ErrorCode error, long zxid) => new(error, default, zxid);
}

/// <summary>A node's data (null when it was created or set with null data, as ZooKeeper keeps it) and Stat.</summary>
/// <remarks>A struct: getData answers without allocating beyond the payload (GatewayPathBenchmarks).</remarks>
public readonly record struct NodeData(byte[]? Data, Stat Stat);

public sealed record ChildList(IReadOnlyList<string> Children, Stat Stat);

public sealed record NodeAcl(IReadOnlyList<Acl> Acl, Stat Stat);
