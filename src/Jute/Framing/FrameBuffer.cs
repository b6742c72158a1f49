using System.Buffers;
using System.Buffers.Binary;

namespace ZkGateway.Jute.Framing;

/// <summary>
/// A growable output buffer that frames records: <see cref="BeginFrame"/> reserves the 4-byte length,
/// the record is written through <see cref="JuteWriter"/>, and <see cref="EndFrame"/> patches the
/// length in. Several frames can be batched before the bytes are handed to the socket in one write.
/// Not thread-safe: it belongs to one writer loop.
/// </summary>
public sealed class FrameBuffer : IBufferWriter<byte>
{
    /// <summary>The first array a pooled buffer rents: most batches of replies fit.</summary>
    private const int PooledInitialCapacity = 512;

    private byte[] _buffer;
    private int _written;
    private int _frameStart = -1;

    // Rents its arrays from the shared pool and gives them back on Release (see Pooled).
    private readonly bool _pooled;

    public FrameBuffer(int initialCapacity = 4096) => _buffer = new byte[initialCapacity];

    private FrameBuffer(bool pooled)
    {
        _buffer = [];
        _pooled = pooled;
    }

    /// <summary>
    /// A buffer that holds no array until it is written to and gives its array back to the shared pool
    /// on <see cref="Release"/>: for a connection's output, idle most of the time.
    /// </summary>
    public static FrameBuffer Pooled() => new(pooled: true);

    public int WrittenCount => _written;

    /// <summary>The size of the array held now (0 for a pooled buffer after <see cref="Release"/>).</summary>
    public int Capacity => _buffer.Length;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void BeginFrame()
    {
        if (_frameStart >= 0)
        {
            throw new InvalidOperationException("A frame is already open.");
        }
        _frameStart = _written;
        GetSpan(FrameReader.LengthPrefixSize);
        Advance(FrameReader.LengthPrefixSize);
    }

    /// <summary>Closes the open frame and returns its payload length.</summary>
    public int EndFrame()
    {
        if (_frameStart < 0)
        {
            throw new InvalidOperationException("No frame is open.");
        }
        int length = _written - _frameStart - FrameReader.LengthPrefixSize;
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_frameStart), length);
        _frameStart = -1;
        return length;
    }

    /// <summary>Drops the open frame (for example one that grew past the client's limit).</summary>
    public void AbandonFrame()
    {
        if (_frameStart >= 0)
        {
            _written = _frameStart;
            _frameStart = -1;
        }
    }

    public void Clear()
    {
        _written = 0;
        _frameStart = -1;
        // Do not keep a huge buffer alive after one big reply (a pooled one keeps none after Release).
        if (!_pooled && _buffer.Length > 1 << 20)
        {
            _buffer = new byte[4096];
        }
    }

    /// <summary>
    /// Empties the buffer; a pooled one also gives its array back (the bytes written must no longer be
    /// in use). An unpooled one only clears.
    /// </summary>
    public void Release()
    {
        Clear();
        if (_pooled && _buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written < needed)
        {
            int newSize = Math.Max(Math.Max(_buffer.Length * 2, _written + needed), _pooled ? PooledInitialCapacity : 0);
            if (_pooled)
            {
                var larger = ArrayPool<byte>.Shared.Rent(newSize);
                _buffer.AsSpan(0, _written).CopyTo(larger);
                if (_buffer.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                }
                _buffer = larger;
            }
            else
            {
                Array.Resize(ref _buffer, newSize);
            }
        }
    }
}
