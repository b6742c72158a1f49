namespace ZkGateway.Compat.Infrastructure;

/// <summary>Which server a scenario runs against.</summary>
public enum TargetKind
{
    ZooKeeper,
    Gateway,

    /// <summary>The gateway on the AWS provider set: emulators, the function host, <c>--backend=aws</c>.</summary>
    AwsGateway,

    /// <summary>
    /// The same with the key-value user storage (<c>--aws.userStorage=key-value</c>: nodes in the
    /// DynamoDB data table). Only the kazoo scenarios run on it: the storage sits below the gateway,
    /// so one client's scenarios exercise it; the other clients cover the wire on AwsGateway.
    /// </summary>
    AwsGatewayKeyValue,

    /// <summary>
    /// The gateway write path (<c>--aws.writePath=gateway</c>, key-value user storage): each gateway
    /// hosts the writer and distributor and commits through the write head; no queues for writes.
    /// </summary>
    AwsGatewayWrites,
}

/// <summary>A ZooKeeper-wire server the scenarios run against: real Apache ZooKeeper 3.8 or the gateway.</summary>
public interface IZkTarget : IAsyncDisposable
{
    TargetKind Kind { get; }

    /// <summary>The loopback port the server listens on; stays the same across restarts.</summary>
    int Port { get; }

    /// <summary><c>127.0.0.1:Port</c>.</summary>
    string ConnectString { get; }

    /// <summary>The server's data directory; kept across <see cref="RestartAsync"/>.</summary>
    string DataDir { get; }

    bool IsRunning { get; }

    /// <summary>Starts the server and waits until it answers <c>ruok</c> with <c>imok</c>; throws with the server's output otherwise.</summary>
    Task StartAsync();

    /// <summary>Graceful stop (SIGTERM, then SIGKILL after a grace period).</summary>
    Task StopAsync();

    /// <summary>SIGKILL, no grace: what a crash looks like.</summary>
    Task KillAsync();

    /// <summary>Stops (or kills) and starts again on the same port and data directory.</summary>
    Task RestartAsync(bool kill = false);

    /// <summary>The server process' captured stdout/stderr, for failure messages.</summary>
    string Log { get; }
}
