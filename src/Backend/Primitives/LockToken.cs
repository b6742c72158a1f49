using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A unique lock token (FaaSKeeper used whole seconds, which allows an ABA mix-up). A writer's token
/// also names its batch (<see cref="Batch"/>: the batch's first request, the same in every delivery of
/// it) and which delivery of that batch it is (<see cref="Delivery"/>: the queue's receive count), so
/// that a later delivery of a batch may take over the locks an earlier, dead or stalled, delivery still
/// holds (docs/serverless.md, "Locks of a dead writer").
/// </summary>
public readonly record struct LockToken(Guid Value, string? Batch = null, int Delivery = 0)
{
    public static LockToken New() => new(Guid.NewGuid());

    /// <summary>A token for delivery <paramref name="delivery"/> (1 = first) of the batch named <paramref name="batch"/>.</summary>
    public static LockToken ForBatch(string batch, int delivery) => new(Guid.NewGuid(), batch, delivery);

    /// <summary>
    /// Whether this token may take a lock <paramref name="held"/> still holds: only a later delivery of
    /// the same batch may, never an earlier one (so a stalled delivery that wakes cannot take it back).
    /// </summary>
    public bool Supersedes(LockToken held) => Batch is not null && Batch == held.Batch && Delivery > held.Delivery;
}

/// <summary>The outcome of a lock attempt: whether we hold it, and the node's committed state (null if absent).</summary>
public readonly record struct LockResult(bool Acquired, SystemNode? Node);
