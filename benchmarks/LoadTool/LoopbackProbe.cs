using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.LoadTool;

/// <summary>The outcome of <see cref="LoopbackProbe"/>: round trips through a server that does no work.</summary>
public sealed record LoopbackResult(int ValueSize, LatencySummary Get, LatencySummary Set);

/// <summary>
/// The machine's limit for issue 14's "get p50 ≤ 1.5× a loopback round trip of the same frame size":
/// this tool's own client (<see cref="ZkConnection"/>, the code every workload measures with) against
/// <see cref="MinimalPeer"/>, which answers each getData and setData at once with a canned reply of
/// the size a real server sends. What is left is the kernel's loopback, the two sockets and the
/// client's own cost, so a server's p50 over this one is the time the server adds.
/// </summary>
public static class LoopbackProbe
{
    public static async Task<LoopbackResult> RunAsync(int valueSize, int count)
    {
        using var peer = new MinimalPeer(valueSize);
        await using var connection = await ZkConnection.ConnectAsync("127.0.0.1", peer.Port);
        var scratch = new FrameBuffer(512);
        var get = new GetDataRequest("/zkbench-probe/data", false);
        var set = new SetDataRequest("/zkbench-probe/data", new byte[valueSize], -1);
        async Task<LatencySummary> Measure(OpCode op, IJuteRecord body)
        {
            var ticks = new List<long>(count);
            for (int i = 0; i < count / 10; i++)
            {
                await connection.SendAsync(op, body, scratch); // warm-up: JIT, socket buffers
            }
            var start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                long sent = Stopwatch.GetTimestamp();
                var reply = await connection.SendAsync(op, body, scratch);
                ticks.Add(reply.ReplyTimestamp - sent);
            }
            return LatencySummary.From(ticks, 0, Stopwatch.GetElapsedTime(start));
        }
        var getSummary = await Measure(OpCode.GetData, get);
        var setSummary = await Measure(OpCode.SetData, set);
        return new LoopbackResult(valueSize, getSummary, setSummary);
    }
}

/// <summary>
/// A ZooKeeper peer that does nothing: one connection, a fixed ConnectResponse, then for every request
/// frame a reply of the request's op with a canned body (getData: <c>valueSize</c> bytes and a Stat;
/// setData and anything else: a Stat). One thread, blocking socket calls: the least a server can do.
/// </summary>
public sealed class MinimalPeer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly byte[] _getBody;
    private readonly byte[] _statBody;
    private readonly Thread _thread;

    public MinimalPeer(int valueSize)
    {
        var stat = new Stat(1, 1, 0, 0, 0, 0, 0, 0, valueSize, 0, 1);
        _getBody = JuteSerializer.ToArray(new GetDataResponse(new byte[valueSize], stat));
        _statBody = JuteSerializer.ToArray(new SetDataResponse(stat));
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true, Name = "loopback-peer" };
        _thread.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private void Serve()
    {
        try
        {
            using var socket = _listener.AcceptSocket();
            socket.NoDelay = true;
            var frame = new byte[64 * 1024];
            var reply = new byte[64 * 1024];
            ReadFrame(socket, frame); // the ConnectRequest
            int n = Write(reply, 4, JuteSerializer.ToArray(new ConnectResponse(0, 30000, 1, new byte[16], false)));
            Send(socket, reply, n);
            while (true)
            {
                int length = ReadFrame(socket, frame);
                if (length < 0)
                {
                    return;
                }
                int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
                var op = (OpCode)BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
                BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), xid);
                BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(8), 1);
                BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), 0);
                int total = op == OpCode.CloseSession ? 20 : Write(reply, 20, op == OpCode.GetData ? _getBody : _statBody);
                BinaryPrimitives.WriteInt32BigEndian(reply, total - 4);
                Send(socket, reply, total);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The probe is over.
        }
    }

    private static int Write(byte[] reply, int at, byte[] body)
    {
        body.CopyTo(reply, at);
        int total = at + body.Length;
        BinaryPrimitives.WriteInt32BigEndian(reply, total - 4);
        return total;
    }

    private static void Send(Socket socket, byte[] buffer, int count)
    {
        for (int sent = 0; sent < count;)
        {
            sent += socket.Send(buffer, sent, count - sent, SocketFlags.None);
        }
    }

    /// <summary>Reads one length-prefixed frame's payload into <paramref name="into"/>; -1 at end of stream.</summary>
    private static int ReadFrame(Socket socket, byte[] into)
    {
        if (!ReadExactly(socket, into, 4))
        {
            return -1;
        }
        int length = BinaryPrimitives.ReadInt32BigEndian(into);
        return length >= 0 && length <= into.Length && ReadExactly(socket, into, length) ? length : -1;
    }

    private static bool ReadExactly(Socket socket, byte[] into, int count)
    {
        for (int got = 0; got < count;)
        {
            int n = socket.Receive(into, got, count - got, SocketFlags.None);
            if (n == 0)
            {
                return false;
            }
            got += n;
        }
        return true;
    }

    public void Dispose() => _listener.Stop();
}
