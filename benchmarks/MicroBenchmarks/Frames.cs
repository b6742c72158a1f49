using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.MicroBenchmarks;

/// <summary>The bytes the benchmarks work on: what a client sends for getData.</summary>
internal static class Frames
{
    public const string Path = "/zkbench/app/config/data";

    /// <summary>A framed getData request: length prefix, RequestHeader, GetDataRequest.</summary>
    public static byte[] GetDataRequestFrame()
    {
        var buffer = new FrameBuffer();
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        new RequestHeader(42, OpCode.GetData).Write(ref writer);
        new GetDataRequest(Path, false).Write(ref writer);
        buffer.EndFrame();
        return buffer.WrittenSpan.ToArray();
    }
}
