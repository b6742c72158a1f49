using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace ZkGateway.Gateway.Transport;

/// <summary>
/// The receive side of a <see cref="LeanSocketConnection"/> as a <see cref="PipeReader"/>. While idle it
/// holds no buffer: it waits with a zero-byte receive and rents a buffer from the shared pool only when
/// bytes arrive; the buffer goes back as soon as every byte in it is consumed.
/// </summary>
/// <remarks>
/// One reader at a time, as any PipeReader. <see cref="CancelPendingRead"/> ends the receive side for
/// good (it shuts the socket's receive direction down to wake the wait): ZkConnectionHandler calls it
/// only when the connection ends.
/// </remarks>
internal sealed class SocketReceiveSide(Socket socket) : PipeReader
{
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private bool _examinedEverything;
    private bool _peerDone;
    private volatile bool _cancelRequested;
    private bool _completed;

    /// <summary>Whether a receive buffer is held (tests: an idle connection holds none).</summary>
    internal bool HoldsBuffer => _buffer is not null;

    public override bool TryRead(out ReadResult result)
    {
        if (_end > _start && !_examinedEverything)
        {
            result = Result();
            return true;
        }
        result = default;
        return false;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_cancelRequested)
        {
            _cancelRequested = false;
            return new ValueTask<ReadResult>(new ReadResult(Buffered(), isCanceled: true, isCompleted: false));
        }
        if ((_end > _start && !_examinedEverything) || _peerDone || TryReceive())
        {
            return new ValueTask<ReadResult>(Result());
        }
        return WaitThenReadAsync(cancellationToken);
    }

    /// <summary>Nothing is ready: wait (holding no buffer if none is needed) until the socket is readable.</summary>
    private async ValueTask<ReadResult> WaitThenReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_end == _start)
            {
                ReleaseBuffer();
            }
            try
            {
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw Translate(e.SocketErrorCode, e);
            }
            if (_cancelRequested)
            {
                _cancelRequested = false;
                return new ReadResult(Buffered(), isCanceled: true, isCompleted: false);
            }
            if (TryReceive())
            {
                return Result();
            }
        }
    }

    /// <summary>
    /// One non-blocking receive into the buffer: true when it gave bytes or the end of the stream,
    /// false when nothing is there yet.
    /// </summary>
    private bool TryReceive()
    {
        EnsureSpace();
        int received = socket.Receive(_buffer.AsSpan(_end), SocketFlags.None, out var error);
        switch (error)
        {
            case SocketError.Success when received > 0:
                _end += received;
                _examinedEverything = false;
                return true;
            case SocketError.Success:
                _peerDone = true;
                return true;
            case SocketError.WouldBlock:
                return false;
            case SocketError.Shutdown or SocketError.OperationAborted when _cancelRequested:
                return false;
            default:
                throw Translate(error, null);
        }
    }

    /// <summary>Room at the end of the buffer: rent one, move the unconsumed bytes to its front, or rent a bigger one.</summary>
    private void EnsureSpace()
    {
        if (_buffer is null)
        {
            _buffer = ReceiveBufferPool.Rent();
            return;
        }
        if (_end < _buffer.Length)
        {
            return;
        }
        int length = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, length);
        }
        else
        {
            // A frame larger than the buffer (up to jute.maxbuffer): double it.
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, larger, 0, length);
            ReceiveBufferPool.Return(_buffer);
            _buffer = larger;
        }
        _start = 0;
        _end = length;
    }

    private ReadOnlySequence<byte> Buffered() =>
        _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, _start, _end - _start);

    private ReadResult Result() => new(Buffered(), isCanceled: false, isCompleted: _peerDone);

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_buffer is null)
        {
            return;
        }
        // Positions of a single-array sequence: the object is the array, the integer an index into it.
        int consumedIndex = consumed.GetObject() is null ? _start : consumed.GetInteger();
        int examinedIndex = examined.GetObject() is null ? consumedIndex : examined.GetInteger();
        if (consumedIndex < _start || consumedIndex > _end || examinedIndex < consumedIndex || examinedIndex > _end)
        {
            throw new InvalidOperationException("The position is outside the last read's buffer.");
        }
        _start = consumedIndex;
        _examinedEverything = examinedIndex == _end;
        if (_start == _end)
        {
            ReleaseBuffer();
        }
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null)
        {
            ReceiveBufferPool.Return(_buffer);
            _buffer = null;
        }
        _start = 0;
        _end = 0;
        _examinedEverything = false;
    }

    public override void CancelPendingRead()
    {
        _cancelRequested = true;
        try
        {
            socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: there is no wait to wake.
        }
    }

    public override void Complete(Exception? exception = null)
    {
        if (!_completed)
        {
            _completed = true;
            ReleaseBuffer();
        }
    }

    /// <summary>Socket errors as the exceptions Kestrel's transport gives (ZkConnectionHandler.IsExpected).</summary>
    internal static Exception Translate(SocketError error, SocketException? inner) => error switch
    {
        SocketError.ConnectionReset => new ConnectionResetException("The client reset the connection.", inner ?? new SocketException((int)error)),
        SocketError.OperationAborted or SocketError.Shutdown or SocketError.Interrupted => new ConnectionAbortedException("The connection was closed.", inner ?? new SocketException((int)error)),
        _ => new IOException("Receive failed: " + error, inner ?? new SocketException((int)error)),
    };
}
