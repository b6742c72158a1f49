using ZkGateway.Backend.Diagnostics;

namespace ZkGateway.TraceModel;

/// <summary>One step of a critical path: a cloud call, or a queue crossing (a send and the receive that got its message).</summary>
public sealed record PathStep(string Kind, long Start, long End, string Process, string What)
{
    public double ModeledMs => AwsLatencies.Of(Kind);
}

/// <summary>
/// A request's critical path across processes and its modeled latency on AWS. Walking back from the
/// reply: in the process where the request's flow is, the receive that brought it there (a message sent
/// for this request) is one queue crossing from its send; the calls serving the request in that process
/// between that receive and where the flow went on (the next crossing's send, or the reply) are on the
/// path; then on in the sender's process, until the gateway's own start. A write whose reply never
/// crossed a queue (the writer inside the gateway) has all its calls between its start and its reply.
/// Each step is replaced by FaaSKeeper's median (<see cref="AwsLatencies"/>); steps overlap only if one
/// started before the other returned, and overlapping steps count once, the longest modeled one.
/// Acknowledgements (deletes) are off the path: a consumer deletes what it received after handling
/// it, while the flow has already gone on.
/// </summary>
public static class CriticalPath
{
    public static IReadOnlyList<PathStep> Of(TraceIndex index, Span request, string key)
    {
        var steps = new List<PathStep>();
        string process = request.Process;
        long until = request.End;
        var used = new HashSet<Span>(ReferenceEqualityComparer.Instance);
        for (int hops = 0; hops < 16; hops++)
        {
            // The latest receive here, before `until`, of a message sent for this request.
            var calls = index.CallsIn(process);
            var arrival = calls
                .Where(c => c.Kind == "sqs-receive" && c.End <= until && c.End >= request.Start && !used.Contains(c))
                .Select(c => (Receive: c, Send: c.TagList(CloudTrace.MessagesTag).Select(index.SendOf).FirstOrDefault(s => s is not null && s.Start >= request.Start && index.KeysOf(s).Contains(key))))
                .Where(x => x.Send is not null)
                .OrderByDescending(x => x.Receive.End)
                .FirstOrDefault();
            long from = arrival.Receive?.End ?? request.Start;
            steps.AddRange(calls
                .Where(c => c.Start >= from && c.Start < until && c.Kind is not ("sqs-receive" or "sqs-delete") && index.KeysOf(c).Contains(key))
                .Select(c => new PathStep(c.Kind, c.Start, c.End, c.Process, c.Api)));
            if (arrival.Receive is null)
            {
                break;
            }
            used.Add(arrival.Receive);
            var send = arrival.Send!;
            steps.Add(new PathStep("queue-hop", send.Start, arrival.Receive.End, send.Process + " -> " + process, send.Tag(CloudTrace.QueueTag) ?? "queue"));
            process = send.Process;
            until = send.Start;
        }
        steps.Sort((a, b) => a.Start.CompareTo(b.Start));
        return steps;
    }

    /// <summary>Modeled latency: steps in groups of (transitively) overlapping intervals, each group its longest modeled step.</summary>
    public static double ModeledMs(IEnumerable<PathStep> steps)
    {
        double total = 0;
        double groupMax = 0;
        long groupEnd = long.MinValue;
        foreach (var step in steps.OrderBy(s => s.Start))
        {
            if (step.Start >= groupEnd)
            {
                total += groupMax;
                groupMax = 0;
                groupEnd = step.End;
            }
            groupMax = Math.Max(groupMax, step.ModeledMs);
            groupEnd = Math.Max(groupEnd, step.End);
        }
        return total + groupMax;
    }
}
