namespace ZkGateway.LoadTool;

/// <summary>What <see cref="Pipeline.RunAsync"/> did: operations answered Ok, failed, and the first failures.</summary>
public sealed record PipelineOutcome(long Ok, long Errors, IReadOnlyList<string> ErrorSamples);

/// <summary>
/// Runs operations 0..count-1 over every connection with <c>outstanding</c> closed-loop slots on each:
/// a slot takes the next index when its previous operation is answered. Populate, the watch set and the
/// watch fan-out all issue their requests this way.
/// </summary>
public static class Pipeline
{
    public delegate Task<OpResult> Operation(long index, ZkConnection connection, Jute.Framing.FrameBuffer scratch);

    public static async Task<PipelineOutcome> RunAsync(IReadOnlyList<ZkConnection> connections, int outstanding, long count, string what, Operation operation)
    {
        long next = -1, ok = 0, errors = 0;
        var samples = new List<string>();
        void Failed(string text)
        {
            Interlocked.Increment(ref errors);
            lock (samples)
            {
                if (samples.Count < 10)
                {
                    samples.Add(text);
                }
            }
        }
        var workers = new List<Task>();
        foreach (var connection in connections)
        {
            for (int o = 0; o < outstanding; o++)
            {
                workers.Add(Task.Run(async () =>
                {
                    var scratch = new Jute.Framing.FrameBuffer(512);
                    long i;
                    while ((i = Interlocked.Increment(ref next)) < count)
                    {
                        OpResult r;
                        try
                        {
                            r = await operation(i, connection, scratch);
                        }
                        catch (Exception e)
                        {
                            // The connection is gone: this slot stops (the others on it fail the same way).
                            Failed($"{e.GetType().Name}: {e.Message}");
                            return;
                        }
                        if (r.Err == Jute.Protocol.ErrorCode.Ok)
                        {
                            Interlocked.Increment(ref ok);
                        }
                        else
                        {
                            Failed($"{what}: {r.Err}");
                        }
                    }
                }));
            }
        }
        await Task.WhenAll(workers);
        return new PipelineOutcome(ok, errors, samples);
    }
}
