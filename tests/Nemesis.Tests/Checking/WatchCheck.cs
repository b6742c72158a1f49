using ZkGateway.Jute.Protocol;
using ZkGateway.Nemesis.Workload;

namespace ZkGateway.Nemesis.Checking;

/// <summary>
/// ZooKeeper's watch guarantees, per connection, from the order frames arrived in: a data watch set
/// by a read that saw version v fires once (a second NodeDataChanged with no read setting it again is
/// a violation), and before any later reply of a read that shows a version above v (a client sees the
/// event before the data that changed). Watches do not outlive their connection here: the workers do
/// not send SetWatches on reconnect.
/// </summary>
public static class WatchCheck
{
    public static IReadOnlyList<string> Check(IEnumerable<ConnectionRecord> connections)
    {
        var violations = new List<string>();
        foreach (var connection in connections)
        {
            Dictionary<int, ReadRecord> reads;
            FrameRecord[] frames;
            lock (connection.Reads)
            {
                reads = connection.Reads.ToDictionary(r => r.Xid);
            }
            lock (connection.Frames)
            {
                frames = [.. connection.Frames];
            }
            var armedAt = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var frame in frames)
            {
                if (frame.Event == EventType.NodeDataChanged && frame.EventPath is { } path)
                {
                    if (!armedAt.Remove(path))
                    {
                        violations.Add($"p{connection.Process} session {connection.SessionId:x}: NodeDataChanged {path} with no watch set (fired twice?)");
                    }
                }
                else if (frame.Event is null && reads.TryGetValue(frame.Xid, out var read))
                {
                    if (armedAt.TryGetValue(read.Key, out int version) && read.Version > version)
                    {
                        violations.Add($"p{connection.Process} session {connection.SessionId:x}: a read of {read.Key} showed v{read.Version} before the watch set at v{version} fired");
                    }
                    if (read.Watched && !armedAt.ContainsKey(read.Key))
                    {
                        armedAt[read.Key] = read.Version;
                    }
                }
            }
        }
        return violations;
    }
}
