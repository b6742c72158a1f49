namespace ZkGateway.Backend.Primitives;

/// <summary>
/// The storage could not make a commit durable (a full disk, a failed fsync), and applied nothing of
/// it. Whether the client's write took effect is then unknown to the client, so the gateway closes
/// its connection (ConnectionLoss), as ZooKeeper does when a request makes it throw an IOException.
/// <see cref="UntilRestart"/>: the storage can no longer be trusted (an fsync failed: the kernel may
/// have dropped the pages it could not write, so a retry that succeeds proves nothing) and refuses
/// every commit until the process restarts and recovers from what is on disk.
/// </summary>
public sealed class StorageUnavailableException(string message, bool untilRestart, Exception? inner = null) : IOException(message, inner)
{
    public bool UntilRestart { get; } = untilRestart;
}
