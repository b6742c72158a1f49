using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>A unique lock token (FaaSKeeper used whole seconds, which allows an ABA mix-up).</summary>
public readonly record struct LockToken(Guid Value)
{
    public static LockToken New() => new(Guid.NewGuid());
}

/// <summary>The outcome of a lock attempt: whether we hold it, and the node's committed state (null if absent).</summary>
public readonly record struct LockResult(bool Acquired, SystemNode? Node);
