using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace ZkGateway.Gateway.Transport;

/// <summary>
/// The send side of a <see cref="LeanSocketConnection"/> as a <see cref="PipeWriter"/>: a write goes
/// straight to the socket, without a pipe in between. A non-blocking send takes what the kernel's
/// buffer has room for; only the rest waits on an asynchronous send, so a client that does not read
/// its replies holds up the writer (as a full pipe did), not a thread.
/// </summary>
/// <remarks>One writer at a time, as any PipeWriter (the OutboundQueue's writer role guarantees it).</remarks>
internal sealed class SocketSendSide(Socket socket) : PipeWriter
{
    /// <summary>A flush result saying the peer is gone: the caller stops writing (as Kestrel's pipe says it).</summary>
    private static readonly FlushResult PeerGone = new(isCanceled: false, isCompleted: true);

    // Only for the GetMemory/Advance/FlushAsync form; the gateway writes whole frames with WriteAsync.
    private byte[]? _staged;
    private int _stagedCount;
    private bool _completed;

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!source.IsEmpty)
        {
            int sent = socket.Send(source.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return SendRestAsync(source, cancellationToken);
            }
            if (error != SocketError.Success)
            {
                return new ValueTask<FlushResult>(PeerGone);
            }
            source = source[sent..];
        }
        return default;
    }

    /// <summary>The kernel's send buffer is full (the client is slow to read): wait for room.</summary>
    private async ValueTask<FlushResult> SendRestAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        try
        {
            while (!rest.IsEmpty)
            {
                rest = rest[await socket.SendAsync(rest, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
            }
            return default;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return PeerGone;
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        int needed = _stagedCount + Math.Max(sizeHint, 1);
        if (_staged is null || _staged.Length < needed)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 512));
            if (_staged is not null)
            {
                _staged.AsSpan(0, _stagedCount).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_staged);
            }
            _staged = larger;
        }
        return _staged.AsMemory(_stagedCount);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes) => _stagedCount += bytes;

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_staged is null)
        {
            return default;
        }
        try
        {
            return await WriteAsync(_staged.AsMemory(0, _stagedCount), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_staged);
            _staged = null;
            _stagedCount = 0;
        }
    }

    /// <summary>Nothing is buffered between a write and the socket, so there is no flush to cancel.</summary>
    public override void CancelPendingFlush()
    {
    }

    public override void Complete(Exception? exception = null)
    {
        _completed = true;
        if (_staged is not null)
        {
            ArrayPool<byte>.Shared.Return(_staged);
            _staged = null;
        }
    }
}
