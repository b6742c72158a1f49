using System.Diagnostics;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.LoadTool;

/// <summary>The outcome of <see cref="Populator"/>: how many znodes were created, how fast, under which prefix.</summary>
public sealed record PopulateResult(string Target, string Prefix, long Requested, long Created, long Errors, int ValueSize,
    int Connections, int Outstanding, double ElapsedSeconds, double CreatesPerSecond, IReadOnlyList<string> ErrorSamples);

/// <summary>
/// Creates <c>count</c> persistent znodes <c>/zkbench-pop-&lt;id&gt;/n&lt;i&gt;</c> of <c>value-size</c> bytes,
/// pipelined over connections x outstanding closed-loop slots, and <b>leaves them in place</b> (unless
/// <c>cleanup</c> is set), so a server's memory can be measured with the data loaded. With
/// <c>parents</c> &gt; 1 znode i goes under <c>/zkbench-pop-&lt;id&gt;/p&lt;i mod parents&gt;</c>: successive creates land
/// far apart in the tree, as in a large ensemble's populate (issue 14's 1,000 parents).
/// </summary>
public sealed class Populator(LoadOptions options, long count, bool cleanup, TextWriter? log = null, int parents = 1)
{
    private readonly TextWriter _log = log ?? TextWriter.Null;

    public async Task<PopulateResult> RunAsync()
    {
        var (host, port) = options.ParseTarget();
        string prefix = "/zkbench-pop-" + Guid.NewGuid().ToString("N")[..12];
        byte[] value = new byte[options.ValueSize];
        new Random(options.Seed).NextBytes(value);

        var tls = options.Tls?.Load();
        await using var admin = await ZkConnection.ConnectAsync(host, port, tls);
        var scratch = new FrameBuffer(512);
        var created = await admin.SendAsync(OpCode.Create, new CreateRequest(prefix, [], Acl.OpenAclUnsafe, CreateMode.Persistent), scratch);
        if (created.Err != ErrorCode.Ok)
        {
            throw new InvalidOperationException($"create {prefix}: {created.Err}");
        }
        for (int p = 0; parents > 1 && p < parents; p++)
        {
            var made = await admin.SendAsync(OpCode.Create, new CreateRequest($"{prefix}/p{p}", [], Acl.OpenAclUnsafe, CreateMode.Persistent), scratch);
            if (made.Err != ErrorCode.Ok)
            {
                throw new InvalidOperationException($"create {prefix}/p{p}: {made.Err}");
            }
        }
        var connections = new List<ZkConnection>();
        PipelineOutcome outcome;
        var start = Stopwatch.GetTimestamp();
        try
        {
            for (int c = 0; c < options.Connections; c++)
            {
                connections.Add(await ZkConnection.ConnectAsync(host, port, tls));
            }
            start = Stopwatch.GetTimestamp();
            outcome = await Pipeline.RunAsync(connections, options.Outstanding, count, "create", (i, connection, buffer) =>
                connection.SendAsync(OpCode.Create, new CreateRequest(PathOf(prefix, parents, i), value, Acl.OpenAclUnsafe, CreateMode.Persistent), buffer));
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (cleanup)
        {
            try
            {
                await LoadRunner.DeleteRecursiveAsync(admin, scratch, prefix);
            }
            catch (Exception e)
            {
                _log.WriteLine($"cleanup of {prefix} failed: {e.Message}");
            }
        }
        return new PopulateResult(options.Target, prefix, count, outcome.Ok, outcome.Errors, options.ValueSize, options.Connections, options.Outstanding,
            elapsed, elapsed > 0 ? outcome.Ok / elapsed : 0, outcome.ErrorSamples);
    }

    /// <summary>The path of populated znode <paramref name="i"/>: the layout the watch workload reads back.</summary>
    public static string PathOf(string prefix, int parents, long i) => parents > 1 ? $"{prefix}/p{i % parents}/n{i}" : $"{prefix}/n{i}";
}
