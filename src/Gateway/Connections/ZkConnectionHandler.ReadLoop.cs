using System.Buffers;
using System.IO.Pipelines;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Connections;

// After the handshake: frames in, one request at a time, to the dispatcher.
public sealed partial class ZkConnectionHandler
{
    /// <summary>
    /// The read loop (house-style practice 1): read, take whole frames, dispatch, advance. Returns true
    /// when the server decided to close after a final reply, false when the client went away.
    /// </summary>
    private async Task<bool> ReadLoopAsync(ZkConnection connection, PipeReader input, PipeWriter output, CancellationToken connectionClosed)
    {
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    return false;
                }
                var buffer = result.Buffer;
                bool stop = false;
                // The reply slot of this read's last frame (every frame reserves one): if it was an auth or
                // sasl, answered at once, a bad frame right after it loses that answer.
                OutboundQueue.Slot? lastFrame = null;
                connection.Outbound.BeginReadLoopBatch();
                try
                {
                    while (!stop && FrameReader.TryRead(ref buffer, _options.JuteMaxBuffer, out var payload))
                    {
                        stop = HandleFrame(connection, payload, ref scratch) == RequestDispatcher.Next.Close;
                        lastFrame = stop ? null : connection.Outbound.LastReserved;
                    }
                    if (stop && FramingErrorAhead(buffer))
                    {
                        // 3.8.0's I/O thread reads on past a request that ends the connection (its reply
                        // comes from a pipeline thread): a bad frame already received closes it first.
                        JuteFormatException.ThrowFrameLengthOutOfRange(-1, _options.JuteMaxBuffer);
                    }
                }
                catch (JuteFormatException e)
                {
                    // A bad frame (length out of range, or too short for a header): 3.8.0's I/O thread
                    // closes the connection at once, so every reply not yet written is lost but those it
                    // wrote itself (auth, sasl); the requests already read still take effect.
                    // Dropped before the batch ends: ending it lets the writer loop write what is left.
                    connection.Outbound.DropUnwrittenAtFramingError(lastFrame);
                    connection.Outbound.CancelReadLoopBatch();
                    ConnectionLog.MalformedInput(_logger, "session 0x" + connection.SessionId.ToString("x", System.Globalization.CultureInfo.InvariantCulture), e.Message);
                    return true;
                }
                catch
                {
                    connection.Outbound.CancelReadLoopBatch();
                    throw;
                }
                finally
                {
                    // Whole frames are consumed; a partial one stays, and all of it was examined, so the
                    // next read waits for more bytes instead of returning the same ones.
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                // The replies this read's frames completed at once (reads answered from memory) go out
                // from here, in one flush, when the writer loop is idle.
                await connection.Outbound.EndReadLoopBatchAsync(output, connectionClosed).ConfigureAwait(false);
                if (stop)
                {
                    return true;
                }
                if (result.IsCompleted)
                {
                    return false;
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>Whether the frames still buffered run into a length out of range.</summary>
    private bool FramingErrorAhead(ReadOnlySequence<byte> buffer)
    {
        while (FrameReader.TryPeekLength(buffer, out int length))
        {
            if (length < 0 || length > _options.JuteMaxBuffer)
            {
                return true;
            }
            if (buffer.Length - FrameReader.LengthPrefixSize < length)
            {
                return false;
            }
            buffer = buffer.Slice(FrameReader.LengthPrefixSize + length);
        }
        return false;
    }

    private RequestDispatcher.Next HandleFrame(ZkConnection connection, in ReadOnlySequence<byte> payload, ref byte[]? scratch)
    {
        ReadOnlySpan<byte> span;
        if (payload.IsSingleSegment)
        {
            span = payload.FirstSpan;
        }
        else
        {
            if (scratch is null || scratch.Length < payload.Length)
            {
                if (scratch is not null)
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
                scratch = ArrayPool<byte>.Shared.Rent((int)payload.Length);
            }
            payload.CopyTo(scratch);
            span = scratch.AsSpan(0, (int)payload.Length);
        }
        var reader = new JuteReader(span);
        var header = RequestHeader.Read(ref reader);
        Interlocked.Increment(ref connection.PacketsReceived);
        _statistics.RecordReceived((int)payload.Length + 4);
        connection.LastCxid = header.Xid;
        _backend.TouchSession(connection.SessionId);
        return _dispatcher.Dispatch(connection, header, span[reader.Position..]);
    }
}
