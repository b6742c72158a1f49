using ZkGateway.Jute;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis.Workload;

/// <summary>
/// One TCP connection of a worker's session, on <see cref="RawZkClient"/>: its own xids (so replies
/// can be matched to the reads the watch check looks at), every frame recorded in arrival order, and
/// a ping every second so the session lives while the worker waits for answers.
/// </summary>
internal sealed class WorkerConnection : IAsyncDisposable
{
    private readonly RawZkClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pings;
    private int _xid;

    private WorkerConnection(RawZkClient client, ConnectionRecord record)
    {
        _client = client;
        Record = record;
        _pings = Task.Run(PingAsync);
    }

    public ConnectionRecord Record { get; }

    public long SessionId => _client.SessionId;

    public byte[] Password => _client.Password;

    public long LastZxid => _client.LastZxid;

    public bool IsClosed => _client.Closed.IsCompleted;

    /// <summary>
    /// Connects (resuming <paramref name="sessionId"/> when not 0). Null when the server refused to
    /// resume: the session has expired. Throws when there is no answer within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<WorkerConnection?> ConnectAsync(int port, int process, int sessionTimeoutMs, long sessionId, byte[]? password, long lastZxid, TimeSpan timeout)
    {
        var frames = new List<FrameRecord>();
        var connecting = RawZkClient.ConnectAsync(port, sessionTimeoutMs, sessionId, password, lastZxid);
        try
        {
            await connecting.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A paused server answers once resumed: close that connection then, nobody uses it.
            _ = connecting.ContinueWith(t => t.Result.DisposeAsync().AsTask(), TaskContinuationOptions.OnlyOnRanToCompletion);
            throw;
        }
        var client = connecting.Result;
        if (client.Handshake.TimeOut <= 0)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        var record = new ConnectionRecord(process, client.SessionId);
        client.Observer = (header, e) =>
        {
            lock (record.Frames)
            {
                record.Frames.Add(new FrameRecord(header.Xid, e?.Type, e?.Path));
            }
        };
        return new WorkerConnection(client, record);
    }

    /// <summary>Sends one request and waits at most <paramref name="timeout"/> for its reply.</summary>
    public Task<RawReply> SendAsync(OpCode op, IJuteRecord? body, TimeSpan timeout, out int xid)
    {
        xid = Interlocked.Increment(ref _xid);
        lock (Record.Sent)
        {
            Record.Sent[xid] = $"{op} {body}";
        }
        return _client.SendAsync(op, body, xid).WaitAsync(timeout);
    }

    private async Task PingAsync()
    {
        while (!_stop.IsCancellationRequested && !IsClosed)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
                await _client.PingAsync().WaitAsync(TimeSpan.FromSeconds(5), _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
            {
                // The worker's next operation finds the connection gone.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _pings.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
