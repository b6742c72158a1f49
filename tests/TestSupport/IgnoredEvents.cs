using ZkGateway.Backend;

namespace ZkGateway.Testing;

/// <summary>A notification sink for a backend whose watch events and session ends a test does not look at.</summary>
public sealed class IgnoredEvents : INotificationSink
{
    public void Deliver(long watcher, WatchEvent watchEvent)
    {
    }

    public void SessionClosed(long sessionId)
    {
    }
}
