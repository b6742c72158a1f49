using System.Diagnostics;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.LoadTool;

/// <summary>
/// Runs one workload against one server. Layout, all under a prefix unique to the run:
/// <code>
/// /zkbench-&lt;id&gt;            the run's root
///   data                     the node get/set/exists use (value-size bytes)
///   list/c0..c{n-1}          the node children lists
///   cd-&lt;slot&gt;-&lt;i&gt;           created and deleted by create_delete (two round trips, one sample)
///   m-&lt;slot&gt;-&lt;i&gt;            created and deleted inside one multi
/// </code>
/// Everything is deleted at the end (also after errors).
/// </summary>
public sealed class LoadRunner(LoadOptions options, TextWriter? log = null)
{
    private readonly LoadOptions _options = options;
    private readonly TextWriter _log = log ?? TextWriter.Null;

    private long _measureStart = long.MaxValue;
    private long _measureEnd = long.MaxValue;
    private volatile bool _stop;
    private long _remaining;
    private bool _measuring;

    private sealed class Slot(int id, ZkConnection connection)
    {
        public int Id { get; } = id;
        public ZkConnection Connection { get; } = connection;
        public FrameBuffer Scratch { get; } = new(512);
        public Dictionary<OpKind, List<long>> Samples { get; } = [];
        public long Errors;
        public List<string> ErrorSamples { get; } = [];
        public int Counter;
    }

    public async Task<RunResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var (host, port) = _options.ParseTarget();
        string prefix = "/zkbench-" + Guid.NewGuid().ToString("N")[..12];
        string dataPath = prefix + "/data";
        string listPath = prefix + "/list";
        byte[] value = new byte[_options.ValueSize];
        new Random(_options.Seed).NextBytes(value);

        var tls = _options.Tls?.Load();
        await using var admin = await ZkConnection.ConnectAsync(host, port, tls, cancellationToken: cancellationToken);
        var adminScratch = new FrameBuffer(512);
        await Expect(admin.SendAsync(OpCode.Create, new CreateRequest(prefix, [], Acl.OpenAclUnsafe, CreateMode.Persistent), adminScratch), "create " + prefix);
        var connections = new List<ZkConnection>();
        try
        {
            await Expect(admin.SendAsync(OpCode.Create, new CreateRequest(dataPath, value, Acl.OpenAclUnsafe, CreateMode.Persistent), adminScratch), "create data");
            await Expect(admin.SendAsync(OpCode.Create, new CreateRequest(listPath, [], Acl.OpenAclUnsafe, CreateMode.Persistent), adminScratch), "create list");
            for (int i = 0; i < _options.ChildCount; i++)
            {
                await Expect(admin.SendAsync(OpCode.Create, new CreateRequest($"{listPath}/c{i}", [], Acl.OpenAclUnsafe, CreateMode.Persistent), adminScratch), "create child");
            }

            for (int c = 0; c < _options.Connections; c++)
            {
                connections.Add(await ZkConnection.ConnectAsync(host, port, tls, cancellationToken: cancellationToken));
            }
            var slots = new List<Slot>();
            for (int c = 0; c < connections.Count; c++)
            {
                for (int o = 0; o < _options.Outstanding; o++)
                {
                    slots.Add(new Slot(slots.Count, connections[c]));
                }
            }

            var kinds = _options.Mix.Keys.ToArray();
            var cumulative = new double[kinds.Length];
            double total = 0;
            for (int i = 0; i < kinds.Length; i++)
            {
                total += _options.Mix[kinds[i]];
                cumulative[i] = total;
            }

            var workers = slots.Select(s => Task.Run(() => SlotLoopAsync(s, kinds, cumulative, total, prefix, dataPath, listPath, value), cancellationToken)).ToArray();
            await Task.Delay(_options.Warmup, cancellationToken);
            if (_options.Count is long count)
            {
                Volatile.Write(ref _remaining, count);
            }
            var measureStartUtc = DateTime.UtcNow;
            Volatile.Write(ref _measureStart, Stopwatch.GetTimestamp());
            Volatile.Write(ref _measuring, true);
            if (_options.Count is null)
            {
                await Task.WhenAny(Task.Delay(_options.Duration, cancellationToken), Task.WhenAll(workers));
                Volatile.Write(ref _measureEnd, Stopwatch.GetTimestamp());
                _stop = true;
                await Task.WhenAll(workers);
            }
            else
            {
                await Task.WhenAll(workers);
                Volatile.Write(ref _measureEnd, Stopwatch.GetTimestamp());
            }

            var elapsed = Stopwatch.GetElapsedTime(_measureStart, _measureEnd);
            var measureEndUtc = measureStartUtc + elapsed;
            var all = new List<long>();
            var perOp = new Dictionary<string, LatencySummary>();
            long errors = slots.Sum(s => s.Errors);
            foreach (var kind in kinds)
            {
                var samples = slots.SelectMany(s => s.Samples.TryGetValue(kind, out var l) ? l : []).ToList();
                all.AddRange(samples);
                perOp[LoadOptions.Name(kind)] = LatencySummary.From(samples, 0, elapsed);
            }
            return new RunResult(
                _options.Target,
                LoadOptions.FormatMix(_options.Mix),
                _options.ValueSize,
                _options.Connections,
                _options.Outstanding,
                elapsed.TotalSeconds,
                LatencySummary.From(all, errors, elapsed),
                perOp,
                slots.SelectMany(s => s.ErrorSamples).Take(10).ToList())
            {
                MeasureStartUtc = measureStartUtc,
                MeasureEndUtc = measureEndUtc,
            };
        }
        finally
        {
            _stop = true;
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
            try
            {
                await DeleteRecursiveAsync(admin, adminScratch, prefix);
            }
            catch (Exception e)
            {
                _log.WriteLine($"cleanup of {prefix} failed: {e.Message}");
            }
        }
    }

    private async Task SlotLoopAsync(Slot slot, OpKind[] kinds, double[] cumulative, double total, string prefix, string dataPath, string listPath, byte[] value)
    {
        var random = new Random(_options.Seed + slot.Id);
        var getData = new GetDataRequest(_options.ReadPath ?? dataPath, false);
        var exists = new ExistsRequest(_options.ReadPath ?? dataPath, false);
        var children = new GetChildrenRequest(_options.ReadPath ?? listPath, false);
        var setData = new SetDataRequest(dataPath, value, -1);
        while (!_stop)
        {
            bool measuring = Volatile.Read(ref _measuring);
            if (_options.Count is not null && measuring && Interlocked.Decrement(ref _remaining) < 0)
            {
                break;
            }
            double pick = random.NextDouble() * total;
            int k = 0;
            while (k < kinds.Length - 1 && pick >= cumulative[k])
            {
                k++;
            }
            var kind = kinds[k];
            long start = Stopwatch.GetTimestamp();
            OpResult result;
            try
            {
                switch (kind)
                {
                    case OpKind.Get:
                        result = await slot.Connection.SendAsync(OpCode.GetData, getData, slot.Scratch);
                        break;
                    case OpKind.Set:
                        result = await slot.Connection.SendAsync(OpCode.SetData, setData, slot.Scratch);
                        break;
                    case OpKind.Exists:
                        result = await slot.Connection.SendAsync(OpCode.Exists, exists, slot.Scratch);
                        break;
                    case OpKind.Children:
                        result = await slot.Connection.SendAsync(OpCode.GetChildren, children, slot.Scratch);
                        break;
                    case OpKind.CreateDelete:
                    {
                        string path = $"{prefix}/cd-{slot.Id}-{slot.Counter++}";
                        result = await slot.Connection.SendAsync(OpCode.Create, new CreateRequest(path, value, Acl.OpenAclUnsafe, CreateMode.Persistent), slot.Scratch);
                        if (result.Err == ErrorCode.Ok)
                        {
                            result = await slot.Connection.SendAsync(OpCode.Delete, new DeleteRequest(path, -1), slot.Scratch);
                        }
                        break;
                    }
                    case OpKind.Multi:
                    {
                        string path = $"{prefix}/m-{slot.Id}-{slot.Counter++}";
                        var multi = new MultiRequest([
                            new MultiOp(OpCode.Create, new CreateRequest(path, value, Acl.OpenAclUnsafe, CreateMode.Persistent)),
                            new MultiOp(OpCode.Delete, new DeleteRequest(path, -1)),
                        ]);
                        result = await slot.Connection.SendAsync(OpCode.Multi, multi, slot.Scratch);
                        break;
                    }
                    default:
                        throw new InvalidOperationException(kind.ToString());
                }
            }
            catch (Exception e)
            {
                // The connection is gone: this slot stops (the others on it fail the same way).
                slot.Errors++;
                slot.ErrorSamples.Add($"{LoadOptions.Name(kind)}: {e.GetType().Name}: {e.Message}");
                return;
            }
            if (result.Err != ErrorCode.Ok)
            {
                slot.Errors++;
                if (slot.ErrorSamples.Count < 10)
                {
                    slot.ErrorSamples.Add($"{LoadOptions.Name(kind)}: {result.Err}");
                }
                continue;
            }
            if (start >= Volatile.Read(ref _measureStart) && result.ReplyTimestamp <= Volatile.Read(ref _measureEnd))
            {
                if (!slot.Samples.TryGetValue(kind, out var list))
                {
                    slot.Samples[kind] = list = new List<long>(1 << 16);
                }
                list.Add(result.ReplyTimestamp - start);
            }
        }
    }

    private static async Task Expect(Task<OpResult> op, string what)
    {
        var result = await op;
        if (result.Err != ErrorCode.Ok)
        {
            throw new InvalidOperationException($"{what}: {result.Err}");
        }
    }

    /// <summary>Deletes <paramref name="path"/> and everything under it (children first).</summary>
    public static async Task DeleteRecursiveAsync(ZkConnection connection, FrameBuffer scratch, string path)
    {
        var children = await connection.GetChildrenAsync(path, scratch);
        foreach (var child in children)
        {
            await DeleteRecursiveAsync(connection, scratch, path + "/" + child);
        }
        var result = await connection.SendAsync(OpCode.Delete, new DeleteRequest(path, -1), scratch);
        if (result.Err is not (ErrorCode.Ok or ErrorCode.NoNode))
        {
            throw new InvalidOperationException($"delete {path}: {result.Err}");
        }
    }
}
