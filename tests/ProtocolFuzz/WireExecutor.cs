using System.Buffers.Binary;
using System.Net.Sockets;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.ProtocolFuzz;

/// <summary>What one server sent back for one input on one connection.</summary>
/// <param name="Received">Every byte the server sent, in order.</param>
/// <param name="Closed">The server closed the connection (before the barrier was answered, or within the wait).</param>
/// <param name="BarrierSent">The barrier request was written (the connection was still open after the input).</param>
/// <param name="ClosedBeforeBarrier">For requests pipelined into the handshake: whether the server closed in the quiet time before the barrier; otherwise null.</param>
public sealed record WireResult(byte[] Received, bool Closed, bool BarrierSent, bool? ClosedBeforeBarrier = null);

/// <summary>
/// Sends a <see cref="WireInput"/> on a fresh connection and collects the server's bytes. After the input a
/// barrier (<c>exists /FZBARRIER</c> with xid <see cref="BarrierXid"/>) is written when the handshake
/// was answered and the connection is open: its reply proves every earlier reply has been sent (ZooKeeper
/// answers in order), so "still open" is known without waiting for a timeout. When no barrier reply comes
/// (a frame left incomplete swallows it, or the server closes), the executor waits for the close.
/// </summary>
public static class WireExecutor
{
    public const int BarrierXid = 0x7A7A7A7A;

    public static readonly byte[] Barrier = SeedSessions.Request(BarrierXid, OpCode.Exists, new ExistsRequest("/FZBARRIER", false));

    /// <summary>How long to wait for a ConnectResponse, for the barrier's reply, or for a close.</summary>
    private static readonly TimeSpan ReplyWait = TimeSpan.FromSeconds(1.5);

    /// <summary>How long an input without a barrier reply is watched for a close before it counts as left open.</summary>
    /// <summary>Quiet time before the barrier when requests came in the handshake's write.</summary>
    private static readonly TimeSpan PipelinedQuiet = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan CloseWait = TimeSpan.FromMilliseconds(800);

    public static async Task<WireResult> RunAsync(int port, WireInput input)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        var received = new MemoryStream();
        var progress = new SemaphoreSlim(0);
        bool eof = false;
        var reader = Task.Run(async () =>
        {
            var buf = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buf)) > 0)
                {
                    lock (received)
                    {
                        received.Write(buf, 0, n);
                    }
                    progress.Release();
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // A reset is a close too.
            }
            eof = true;
            progress.Release();
        });

        bool fourLetter = input.Writes[0].Bytes.Length >= 4 && IsFourLetterStart(input.Writes[0].Bytes);
        foreach (var write in input.Writes)
        {
            if (write.AfterConnectResponse && !await WaitAsync(progress, () => eof || FirstFrameComplete(Snapshot(received)), ReplyWait))
            {
                break;
            }
            if (eof)
            {
                break;
            }
            try
            {
                await stream.WriteAsync(write.Bytes);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                break;
            }
        }

        // Requests in the handshake's own write must be answered without more bytes from the client
        // (issue 15 item 1): give the server a moment of quiet before the barrier adds bytes, so a close
        // the input itself causes (closeSession) comes first.
        byte[] first = input.Writes[0].Bytes;
        bool? closedBeforeBarrier = null;
        if (!fourLetter && Frames(first).FirstOrDefault() is { Payload: not null } f0 && f0.End < first.Length)
        {
            while (!eof && await progress.WaitAsync(PipelinedQuiet))
            {
            }
            closedBeforeBarrier = eof;
        }

        bool barrierSent = false;
        if (!fourLetter && !ClosesSession(input) && !eof && await WaitAsync(progress, () => eof || FirstFrameComplete(Snapshot(received)), ReplyWait) && !eof)
        {
            try
            {
                await stream.WriteAsync(Barrier);
                barrierSent = true;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                // Closed meanwhile.
            }
        }
        bool answered = barrierSent && await WaitAsync(progress, () => eof || BarrierAnswered(Snapshot(received)), ReplyWait) && !eof;
        if (!answered)
        {
            await WaitAsync(progress, () => eof, fourLetter ? ReplyWait : CloseWait);
        }
        tcp.Client.Shutdown(SocketShutdown.Both);
        tcp.Dispose();
        await reader.WaitAsync(TimeSpan.FromSeconds(5));
        return new WireResult(Snapshot(received), Closed: !answered && eof, barrierSent, closedBeforeBarrier);
    }

    private static byte[] Snapshot(MemoryStream received)
    {
        lock (received)
        {
            return received.ToArray();
        }
    }

    private static async Task<bool> WaitAsync(SemaphoreSlim progress, Func<bool> done, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!done())
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await progress.WaitAsync(left))
            {
                return done();
            }
        }
        return true;
    }

    /// <summary>
    /// The input sends a closeSession: no barrier then. Whether 3.8.0 answers a request sent after a
    /// closeSession (SessionExpired) or drops it depends on whether it arrives before the close's commit
    /// closes the connection: timing, not behaviour.
    /// </summary>
    private static bool ClosesSession(WireInput input) =>
        Frames(input.Concat()).Skip(1).Any(f => f.Payload.Length >= 8 && BinaryPrimitives.ReadInt32BigEndian(f.Payload.AsSpan(4)) == (int)OpCode.CloseSession);

    private static bool IsFourLetterStart(byte[] bytes) => bytes[..4].All(b => b is >= (byte)'a' and <= (byte)'z');

    private static bool FirstFrameComplete(byte[] bytes) =>
        bytes.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(bytes) is int len && (len < 0 || bytes.Length >= 4L + len);

    /// <summary>A reply frame with the barrier's xid is among the frames after the first.</summary>
    private static bool BarrierAnswered(byte[] bytes)
    {
        foreach (var (payload, _) in Frames(bytes))
        {
            if (payload.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(payload) == BarrierXid)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The complete length-prefixed frames of <paramref name="bytes"/> and the offset where each ends; stops at a bad length.</summary>
    public static IEnumerable<(byte[] Payload, int End)> Frames(byte[] bytes)
    {
        int at = 0;
        while (at + 4 <= bytes.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (len < 0 || at + 4L + len > bytes.Length)
            {
                yield break;
            }
            yield return (bytes[(at + 4)..(at + 4 + len)], at + 4 + len);
            at += 4 + len;
        }
    }
}
