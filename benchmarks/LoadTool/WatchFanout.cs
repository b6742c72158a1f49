using System.Diagnostics;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.LoadTool;

/// <summary>The outcome of <see cref="WatchFanout"/>.</summary>
public sealed record WatchesResult(string Target, long Watches, int Sessions, double SetSeconds, double? FanoutSeconds,
    long EventsReceived, long Errors, IReadOnlyList<string> ErrorSamples);

/// <summary>
/// Issue 14's "1M watches set, memory and fan-out time", on znodes made by <see cref="Populator"/>:
/// <list type="number">
/// <item>a data watch (getData with watch) on each of the first <c>count</c> znodes under <c>prefix</c>,
/// pipelined over <c>sessions</c> sessions; every znode is watched by exactly one session;</item>
/// <item>the watches are held for <c>hold</c> (the caller measures the server's memory meanwhile;
/// the tool says when they are all set);</item>
/// <item>fan-out: other sessions setData every watched znode, pipelined, and the time runs from the
/// first setData sent to the last NodeDataChanged received. Each watch must fire exactly once.</item>
/// </list>
/// </summary>
public sealed class WatchFanout(string host, int port, string prefix, int parents, long count, int sessions, int outstanding,
    TimeSpan hold, TextWriter output)
{
    public async Task<WatchesResult> RunAsync()
    {
        var watchers = new List<ZkConnection>();
        var triggers = new List<ZkConnection>();
        long events = 0, wrongEvents = 0;
        var allFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long lastEvent = 0;
        try
        {
            for (int s = 0; s < sessions; s++)
            {
                var watcher = await ZkConnection.ConnectAsync(host, port);
                watcher.Notified = (e, at) =>
                {
                    if (e.Type != EventType.NodeDataChanged)
                    {
                        Interlocked.Increment(ref wrongEvents);
                        return;
                    }
                    Volatile.Write(ref lastEvent, at);
                    if (Interlocked.Increment(ref events) == count)
                    {
                        allFired.TrySetResult();
                    }
                };
                watchers.Add(watcher);
                triggers.Add(await ZkConnection.ConnectAsync(host, port));
            }
            // The watchers wait out the whole fan-out, the triggers the set: on ZooKeeper, at a million
            // watches, longer than the session timeout (their sessions expired and took the watches).
            foreach (var connection in watchers.Concat(triggers))
            {
                connection.KeepAlive();
            }

            var start = Stopwatch.GetTimestamp();
            var set = await Pipeline.RunAsync(watchers, outstanding, count, "getData with watch", (i, connection, scratch) =>
                connection.SendAsync(OpCode.GetData, new GetDataRequest(Populator.PathOf(prefix, parents, i), true), scratch));
            double setSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            output.WriteLine($"{host}:{port}: {set.Ok:N0} of {count:N0} watches set on {sessions} sessions in {setSeconds:0.00} s, errors {set.Errors}; holding them {hold.TotalSeconds:0.#} s");
            output.Flush();
            await Task.Delay(hold);

            var fanoutStart = Stopwatch.GetTimestamp();
            var fired = await Pipeline.RunAsync(triggers, outstanding, count, "setData", (i, connection, scratch) =>
                connection.SendAsync(OpCode.SetData, new SetDataRequest(Populator.PathOf(prefix, parents, i), [1], -1), scratch));
            // Every setData is answered; its event may still be on the way (ZooKeeper sends it before the
            // reply, to another session). Waits while events still arrive, up to 30 s after the last one.
            bool complete = set.Ok == count && await AllFiredAsync(allFired.Task, () => Volatile.Read(ref lastEvent));
            double? fanoutSeconds = complete ? Stopwatch.GetElapsedTime(fanoutStart, Volatile.Read(ref lastEvent)).TotalSeconds : null;
            var samples = set.ErrorSamples.Concat(fired.ErrorSamples).ToList();
            long received = Interlocked.Read(ref events);
            long errors = set.Errors + fired.Errors + Interlocked.Read(ref wrongEvents) + Math.Abs(count - received);
            if (received != count)
            {
                samples.Add($"{received:N0} NodeDataChanged events for {count:N0} watches");
            }
            if (wrongEvents > 0)
            {
                samples.Add($"{wrongEvents} events of another type");
            }
            for (int k = 0; k < watchers.Count; k++)
            {
                if (watchers[k].Closed.IsCompleted)
                {
                    samples.Add($"watcher session {k} was closed by the server");
                }
            }
            return new WatchesResult($"{host}:{port}", count, sessions, setSeconds, fanoutSeconds, received, errors, samples);
        }
        finally
        {
            foreach (var connection in watchers.Concat(triggers))
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Whether every watch fired: waits until they all have, or until no event came for 30 s.</summary>
    private static async Task<bool> AllFiredAsync(Task allFired, Func<long> lastEventTimestamp)
    {
        var quiet = TimeSpan.FromSeconds(30);
        long waitingSince = Stopwatch.GetTimestamp();
        while (!allFired.IsCompleted)
        {
            long last = Math.Max(waitingSince, lastEventTimestamp());
            if (Stopwatch.GetElapsedTime(last) >= quiet)
            {
                return false;
            }
            await Task.WhenAny(allFired, Task.Delay(TimeSpan.FromSeconds(1)));
        }
        return true;
    }
}
