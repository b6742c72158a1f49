using BenchmarkDotNet.Attributes;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.MicroBenchmarks;

/// <summary>
/// Encoding a getData reply (ReplyHeader + GetDataResponse with a value of <see cref="ValueSize"/>
/// bytes and a Stat) as one frame into a FrameBuffer that is cleared and reused, as the writer loop
/// does. Baseline: a frame holding the ReplyHeader alone (what an error reply costs).
/// </summary>
[MemoryDiagnoser]
public class EncodeBenchmarks
{
    private readonly FrameBuffer _buffer = new();
    private GetDataResponse _response = null!;

    [Params(100, 4096)]
    public int ValueSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var stat = new Stat(10, 20, 1_700_000_000_000, 1_700_000_000_500, 3, 0, 0, 0, ValueSize, 0, 10);
        _response = new GetDataResponse(new byte[ValueSize], stat);
    }

    [Benchmark(Baseline = true)]
    public int ReplyHeaderOnly()
    {
        _buffer.Clear();
        _buffer.BeginFrame();
        var writer = new JuteWriter(_buffer);
        new ReplyHeader(42, 1234, ErrorCode.Ok).Write(ref writer);
        return _buffer.EndFrame();
    }

    [Benchmark]
    public int ReplyHeaderAndGetDataResponse()
    {
        _buffer.Clear();
        _buffer.BeginFrame();
        var writer = new JuteWriter(_buffer);
        new ReplyHeader(42, 1234, ErrorCode.Ok).Write(ref writer);
        _response.Write(ref writer);
        return _buffer.EndFrame();
    }
}
