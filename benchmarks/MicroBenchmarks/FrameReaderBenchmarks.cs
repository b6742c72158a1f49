using System.Buffers;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using ZkGateway.Jute.Framing;

namespace ZkGateway.MicroBenchmarks;

/// <summary>
/// Taking one getData frame off a (single-segment) receive buffer, as the connection loop does.
/// Baseline: reading the 4-byte prefix by hand and slicing, the least any framer has to do.
/// </summary>
[MemoryDiagnoser]
public class FrameReaderBenchmarks
{
    private ReadOnlySequence<byte> _buffer;

    [GlobalSetup]
    public void Setup() => _buffer = new ReadOnlySequence<byte>(Frames.GetDataRequestFrame());

    [Benchmark(Baseline = true)]
    public long ManualPrefixAndSlice()
    {
        var span = _buffer.FirstSpan;
        int length = BinaryPrimitives.ReadInt32BigEndian(span);
        var payload = _buffer.Slice(4, length);
        return payload.Length;
    }

    [Benchmark]
    public long FrameReaderTryRead()
    {
        var buffer = _buffer;
        return FrameReader.TryRead(ref buffer, 1048575, out var payload) ? payload.Length : -1;
    }
}
