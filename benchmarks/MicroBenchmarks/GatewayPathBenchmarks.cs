using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Connections;
using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Jute;

namespace ZkGateway.MicroBenchmarks;

/// <summary>
/// The gateway's frame → record → reply path as the connection handler runs it: frame read
/// (<see cref="FrameReader"/>), RequestHeader and request record decoded, <see cref="RequestDispatcher"/>
/// (reply slot, ordering barriers, backend call), the reply frame encoded by <see cref="OutboundQueue"/>'s
/// writer loop and written to a pipe, from which the benchmark takes it. The backend is a stub that
/// answers at once (a fixed node for getData, a cached completed write for setData), so what is
/// measured is the gateway and wire layer, not storage. The writer loop runs on its own thread, as
/// in the gateway; the benchmark spins until the reply is in the pipe.
/// <para>
/// Allocated is process-wide per operation. Baseline: the same round trip through the pipe with a
/// ready-made reply and no dispatch (the harness's own cost).
/// </para>
/// <para>
/// <see cref="GetData100BEmbedded"/> runs the same getData against the real embedded backend (a fresh
/// data directory, the node created once), so its figures include the backend's own read.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class GatewayPathBenchmarks
{
    private readonly Pipe _replies = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private RequestDispatcher _dispatcher = null!;
    private ZkConnection _connection = null!;
    private byte[] _getFrame = [];
    private byte[] _setFrame = [];
    private byte[] _readyReply = [];
    private readonly GetDataResponse _readyBody = new(new byte[100], new Stat(10, 20, 1_700_000_000_000, 1_700_000_000_500, 3, 0, 0, 0, 100, 0, 10));
    private Task _writerLoop = Task.CompletedTask;
    private readonly CancellationTokenSource _stop = new();

    private readonly Pipe _embeddedReplies = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private string _dataDir = "";
    private FaaSBackend _embedded = null!;
    private RequestDispatcher _embeddedDispatcher = null!;
    private ZkConnection _embeddedConnection = null!;
    private Task _embeddedWriterLoop = Task.CompletedTask;

    [GlobalSetup]
    public void Setup()
    {
        _dispatcher = new RequestDispatcher(new StubBackend(), new GatewayOptions());
        _connection = new ZkConnection(1, new DefaultConnectionContext()) { SessionId = 0x1234 };
        _writerLoop = Task.Run(() => _connection.Outbound.RunAsync(_replies.Writer, _stop.Token));
        _getFrame = Frame(w =>
        {
            new RequestHeader(1, OpCode.GetData).Write(ref w);
            new GetDataRequest(Frames.Path, false).Write(ref w);
        });
        _setFrame = Frame(w =>
        {
            new RequestHeader(2, OpCode.SetData).Write(ref w);
            new SetDataRequest(Frames.Path, new byte[100], -1).Write(ref w);
        });
        _readyReply = Frame(w => new ReplyHeader(1, 5, ErrorCode.Ok).Write(ref w));

        _dataDir = Path.Combine(Path.GetTempPath(), "zkgw-bench-" + Guid.NewGuid().ToString("N"));
        _embedded = EmbeddedDeployment.StartAsync(new BackendOptions { DataDir = _dataDir }, new NoSink()).GetAwaiter().GetResult();
        long session = _embedded.CreateSessionAsync(30_000).AsTask().GetAwaiter().GetResult().SessionId;
        string path = "";
        foreach (string part in Frames.Path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + part;
            byte[] data = path == Frames.Path ? new byte[100] : [];
            _embedded.SubmitAsync(session, new CreateOperation(path, data, Acl.OpenAclUnsafe, CreateMode.Persistent)).GetAwaiter().GetResult();
        }
        _embeddedDispatcher = new RequestDispatcher(_embedded, new GatewayOptions());
        _embeddedConnection = new ZkConnection(2, new DefaultConnectionContext()) { SessionId = session };
        _embeddedWriterLoop = Task.Run(() => _embeddedConnection.Outbound.RunAsync(_embeddedReplies.Writer, _stop.Token));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        try
        {
            _writerLoop.GetAwaiter().GetResult();
            _embeddedWriterLoop.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        _embedded.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dataDir, recursive: true);
    }

    private delegate void Body(JuteWriter writer);

    private static byte[] Frame(Body body)
    {
        var buffer = new FrameBuffer();
        buffer.BeginFrame();
        body(new JuteWriter(buffer));
        buffer.EndFrame();
        return buffer.WrittenSpan.ToArray();
    }

    [Benchmark(Baseline = true)]
    public long PipeRoundTripOnly()
    {
        var flush = _replies.Writer.WriteAsync(_readyReply);
        if (!flush.IsCompleted)
        {
            flush.AsTask().GetAwaiter().GetResult();
        }
        return TakeReply();
    }

    /// <summary>The wire layer alone: frame, RequestHeader and GetDataRequest (the path string is the payload).</summary>
    [Benchmark]
    public int DecodeGetDataOnly()
    {
        var input = new ReadOnlySequence<byte>(_getFrame);
        FrameReader.TryRead(ref input, 1 << 20, out var payload);
        var reader = new JuteReader(payload.FirstSpan);
        var header = RequestHeader.Read(ref reader);
        return header.Xid + GetDataRequest.Read(ref reader).Path!.Length;
    }

    /// <summary>The outbound queue alone: a reply slot reserved and filled with a ready body, written by the writer loop.</summary>
    [Benchmark]
    public long OutboundSlotOnly()
    {
        var slot = _connection.Outbound.Reserve(1, (int)OpCode.GetData);
        _connection.Outbound.Complete(slot, 21, ErrorCode.Ok, _readyBody);
        return TakeReply();
    }

    [Benchmark]
    public long GetData100B() => RoundTrip(_getFrame);

    [Benchmark]
    public long SetData100B() => RoundTrip(_setFrame);

    /// <summary>getData on the real embedded backend (its in-memory user store).</summary>
    [Benchmark]
    public long GetData100BEmbedded() => RoundTrip(_getFrame, _embeddedDispatcher, _embeddedConnection, _embeddedReplies);

    private long RoundTrip(byte[] frame) => RoundTrip(frame, _dispatcher, _connection, _replies);

    private static long RoundTrip(byte[] frame, RequestDispatcher dispatcher, ZkConnection connection, Pipe replies)
    {
        var input = new ReadOnlySequence<byte>(frame);
        if (!FrameReader.TryRead(ref input, 1 << 20, out var payload))
        {
            throw new InvalidOperationException("no frame");
        }
        var reader = new JuteReader(payload.FirstSpan);
        var header = RequestHeader.Read(ref reader);
        dispatcher.Dispatch(connection, header, payload.FirstSpan[reader.Position..]);
        return TakeReply(replies);
    }

    private long TakeReply() => TakeReply(_replies);

    private static long TakeReply(Pipe replies)
    {
        ReadResult result;
        var spin = new SpinWait();
        while (!replies.Reader.TryRead(out result))
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        long length = result.Buffer.Length;
        replies.Reader.AdvanceTo(result.Buffer.End);
        return length;
    }

    private sealed class NoSink : INotificationSink
    {
        public void Deliver(long watcher, WatchEvent watchEvent)
        {
        }

        public void SessionClosed(long sessionId)
        {
        }
    }

    /// <summary>Answers getData with one fixed node and every write with one cached completed result.</summary>
    private sealed class StubBackend : IZkBackend
    {
        private static readonly Stat NodeStat = new(10, 20, 1_700_000_000_000, 1_700_000_000_500, 3, 0, 0, 0, 100, 0, 10);
        private readonly NodeData _node = new(new byte[100], NodeStat);
        private readonly Task<WriteResult> _written = Task.FromResult(new WriteResult(ErrorCode.Ok, 21, new OpResult(ErrorCode.Ok, Frames.Path, NodeStat)));

        public ValueTask<long> GetLastZxidAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(21L);

        public long LastAppliedZxid => 21;

        public ValueTask<ReadResult<NodeData>> GetDataAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
            new(ReadResult<NodeData>.Ok(_node, 21));

        public Task<WriteResult> SubmitAsync(long sessionId, WriteOperation operation, CallerIdentity? caller = null, CancellationToken cancellationToken = default) => _written;

        public void TouchSession(long sessionId)
        {
        }

        public bool IsSessionLive(long sessionId) => true;

        public ValueTask<BackendStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<SessionGrant> CreateSessionAsync(int timeoutMs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<bool> TryResumeSessionAsync(long sessionId, ReadOnlyMemory<byte> password, int timeoutMs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<WriteResult> CloseSessionAsync(long sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ReadResult<Stat>> ExistsAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ReadResult<ChildList>> GetChildrenAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ReadResult<NodeAcl>> GetAclAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ReadResult<int>> GetAllChildrenNumberAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ReadResult<IReadOnlyList<string>>> GetEphemeralsAsync(long sessionId, string prefix, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask SetWatchesAsync(long watcher, long relativeZxid, IReadOnlyList<string> dataWatches, IReadOnlyList<string> existWatches, IReadOnlyList<string> childWatches, IReadOnlyList<string>? persistentWatches = null, IReadOnlyList<string>? persistentRecursiveWatches = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<long> AddWatchAsync(string path, AddWatchMode mode, long watcher, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public bool CheckWatches(string path, WatcherType type) => throw new NotSupportedException();

        public bool RemoveWatches(string path, WatcherType type, long watcher) => throw new NotSupportedException();

        public void RemoveWatcher(long watcher)
        {
        }

        public (int Watches, int Paths) WatchCounts() => (0, 0);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
