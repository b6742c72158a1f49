namespace ZkGateway.Backend.Aws;

/// <summary>
/// The batch being applied was aborted by another writer before its writer-only node was written
/// (<see cref="DynamoUserStorage.FenceUnwrittenAsync"/>): nothing of it took effect, and its writer
/// prepares its requests again.
/// </summary>
public sealed class BatchAbortedException(long zxid) : Exception($"The batch whose writer-only node is at zxid {zxid:x} was aborted by another writer.")
{
    public long Zxid => zxid;
}
