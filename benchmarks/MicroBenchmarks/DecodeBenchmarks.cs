using BenchmarkDotNet.Attributes;
using ZkGateway.Jute;
using ZkGateway.Jute.Proto;

namespace ZkGateway.MicroBenchmarks;

/// <summary>
/// Decoding a getData request payload: RequestHeader then GetDataRequest (a UTF-8 path string and
/// a record allocated per request). Baseline: the header alone (two ints, no allocation).
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _payload = [];

    [GlobalSetup]
    public void Setup() => _payload = Frames.GetDataRequestFrame()[4..];

    [Benchmark(Baseline = true)]
    public int RequestHeaderOnly()
    {
        var reader = new JuteReader(_payload);
        return RequestHeader.Read(ref reader).Xid;
    }

    [Benchmark]
    public int RequestHeaderAndGetDataRequest()
    {
        var reader = new JuteReader(_payload);
        var header = RequestHeader.Read(ref reader);
        var request = GetDataRequest.Read(ref reader);
        return header.Xid + request.Path!.Length;
    }
}
