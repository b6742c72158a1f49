namespace ZkGateway.Backend.Aws;

/// <summary>
/// This writer's reservation of batch <c>Seq</c> failed without an answer, and by the time it read the
/// head, other writers had reserved more batches past it than the head remembers
/// (<see cref="HeadState.PreviousKept"/>): whether it got in cannot be told. Its requests end with an
/// unknown outcome (ConnectionLoss to their clients), and nothing of it is prepared again or deleted.
/// An <see cref="IOException"/>, so the gateway closes the connection as for any storage it cannot reach.
/// </summary>
public sealed class ReservationUnknownException(long seq, long headSeq)
    : IOException($"Whether batch {seq} was reserved cannot be told: the head is at {headSeq}, more than {HeadState.PreviousKept} batches past it.")
{
    public long Seq { get; } = seq;
}
