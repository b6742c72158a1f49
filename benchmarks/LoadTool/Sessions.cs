using System.Diagnostics;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.LoadTool;

/// <summary>The outcome of <see cref="SessionOpener"/>.</summary>
public sealed record SessionsResult(string Target, int Requested, int Opened, int Errors, double ElapsedSeconds, IReadOnlyList<string> ErrorSamples);

/// <summary>
/// Opens <c>count</c> sessions, each on its own connection, and sends one exists("/") on each (issue
/// 14's "10,000 concurrent sessions: connect + one request each"), at most <c>parallel</c> connecting
/// at a time. The elapsed time runs from the first connect to the last reply. The sessions are then
/// held open for <c>hold</c> (the server's memory per idle session is measured meanwhile) and closed.
/// </summary>
public sealed class SessionOpener(string host, int port, int count, int parallel, TimeSpan hold, TextWriter output)
{
    /// <summary>An exists reply is under 100 B: the client's own memory stays small beside the server's.</summary>
    private const int ReceiveBuffer = 1024;

    public async Task<SessionsResult> RunAsync()
    {
        var connections = new ZkConnection?[count];
        int errors = 0;
        var samples = new List<string>();
        using var gate = new SemaphoreSlim(parallel);
        var start = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var connection = await ZkConnection.ConnectAsync(host, port, receiveBufferSize: ReceiveBuffer);
                connections[i] = connection;
                var reply = await connection.SendAsync(OpCode.Exists, new ExistsRequest("/", false), new FrameBuffer(64));
                if (reply.Err != ErrorCode.Ok)
                {
                    throw new InvalidOperationException($"exists /: {reply.Err}");
                }
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref errors);
                lock (samples)
                {
                    if (samples.Count < 10)
                    {
                        samples.Add($"{e.GetType().Name}: {e.Message}");
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var result = new SessionsResult($"{host}:{port}", count, count - errors, errors, elapsed, samples);
        // Said before the hold, so that a caller measuring memory knows when every session is open.
        output.WriteLine($"{result.Target}: {result.Opened:N0} of {count:N0} sessions connected and answered in {elapsed:0.00} s, errors {errors}; holding them {hold.TotalSeconds:0.#} s");
        output.Flush();
        await Task.Delay(hold);
        foreach (var connection in connections)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        return result;
    }
}
