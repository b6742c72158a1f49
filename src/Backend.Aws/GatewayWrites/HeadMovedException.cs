namespace ZkGateway.Backend.Aws;

/// <summary>
/// Another writer reserved the batch this one prepared: what it validated against may be out of date.
/// Nothing was written; the writer catches up with the head and prepares the batch again.
/// </summary>
public sealed class HeadMovedException(long expectedSeq) : Exception($"The write head moved past batch {expectedSeq}.")
{
    public long ExpectedSeq { get; } = expectedSeq;
}
