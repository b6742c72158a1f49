using ZkGateway.Jute.Protocol;
using ZkGateway.Nemesis.Workload;

namespace ZkGateway.Nemesis.Checking;

/// <summary>
/// ZooKeeper's watch guarantees, per connection, from the order frames arrived in: a data watch set
/// by a read that saw version v fires once (a second NodeDataChanged with no read setting it again is
/// a violation), and before any later reply of a read that shows a version above v (a client sees the
/// event before the data that changed). Watches do not outlive their connection here: the workers do
/// not send SetWatches on reconnect.
/// <para>
/// One violation is told apart (<see cref="WatchFindings.Overtaken"/>): the event arrives before the
/// reply of the read that set its watch, a reply that still shows the old data. A client registers
/// its watcher when that reply arrives, so it drops the event and waits on a watch that has already
/// fired: the watch is lost. ZooKeeper queues a read's reply before any event of the watch it set.
/// </para>
/// </summary>
public static class WatchCheck
{
    public static WatchFindings Check(IEnumerable<ConnectionRecord> connections)
    {
        var violations = new List<string>();
        var overtaken = new List<string>();
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
            string Sent(int xid)
            {
                lock (connection.Sent)
                {
                    return connection.Sent.GetValueOrDefault(xid, "?");
                }
            }
            var armedAt = new Dictionary<string, int>(StringComparer.Ordinal);
            // Events that came with no watch set, and the context to report them with.
            var unarmed = new Dictionary<string, (int Index, string Context)>(StringComparer.Ordinal);
            for (int i = 0; i < frames.Length; i++)
            {
                var frame = frames[i];
                string Context() => " (frames before: " + string.Join(", ", frames[Math.Max(0, i - 12)..(i + 1)].Select(f =>
                    f.Event is { } type ? $"{type} {f.EventPath}" : reads.TryGetValue(f.Xid, out var r) ? $"read {r.Key} v{r.Version}" : $"reply {f.Xid} to {Sent(f.Xid)}")) + ")";
                if (frame.Event == EventType.NodeDataChanged && frame.EventPath is { } path)
                {
                    if (!armedAt.Remove(path))
                    {
                        if (unarmed.TryGetValue(path, out var earlier))
                        {
                            violations.Add(earlier.Context);
                        }
                        unarmed[path] = (i, $"p{connection.Process} session {connection.SessionId:x}: NodeDataChanged {path} with no watch set (fired twice?)" + Context());
                    }
                }
                else if (frame.Event is null && reads.TryGetValue(frame.Xid, out var read))
                {
                    // The worker has one request in flight: a reply right after the event (no other reply
                    // between) is the request that was in flight when the event came.
                    if (read.Watched && unarmed.TryGetValue(read.Key, out var fired) && !frames[(fired.Index + 1)..i].Any(f => f.Event is null && f.Xid > 0))
                    {
                        unarmed.Remove(read.Key);
                        // The event came first, then the reply of the read (already sent) that set its watch.
                        overtaken.Add($"p{connection.Process} session {connection.SessionId:x}: NodeDataChanged {read.Key} came before the reply (v{read.Version}) of the read that set the watch" + Context());
                        continue;
                    }
                    if (armedAt.TryGetValue(read.Key, out int version) && read.Version > version)
                    {
                        violations.Add($"p{connection.Process} session {connection.SessionId:x}: a read of {read.Key} showed v{read.Version} before the watch set at v{version} fired" + Context());
                    }
                    if (read.Watched && !armedAt.ContainsKey(read.Key))
                    {
                        armedAt[read.Key] = read.Version;
                    }
                }
            }
            violations.AddRange(unarmed.Values.Select(u => u.Context));
        }
        return new WatchFindings(violations, overtaken);
    }
}

/// <summary>What <see cref="WatchCheck"/> found: violations, and among them apart, watch events that overtook the reply of the read that set the watch.</summary>
public sealed record WatchFindings(IReadOnlyList<string> Violations, IReadOnlyList<string> Overtaken);
