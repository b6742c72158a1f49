using System.Buffers;

namespace ZkGateway.Gateway.Transport;

/// <summary>
/// The receive buffers of <see cref="SocketReceiveSide"/>: a connection holds one only while bytes
/// wait to be consumed, so a few serve thousands of connections. Kept apart from the shared ArrayPool,
/// whose per-core stacks hold only a few arrays of a size: with 10,000 clients connecting, most of its
/// rents were new arrays and most returns garbage, which the process's RSS then carried.
/// </summary>
internal static class ReceiveBufferPool
{
    /// <summary>A first read's buffer: a ZooKeeper request is nearly always far smaller.</summary>
    public const int BufferSize = 4096;

    /// <summary>At most this many idle buffers are kept (1 MiB): as many as connections read at once.</summary>
    private const int Retained = 256;

    private static readonly Lock Gate = new();
    private static readonly byte[][] Idle = new byte[Retained][];
    private static int _count;

    public static byte[] Rent()
    {
        lock (Gate)
        {
            if (_count > 0)
            {
                var buffer = Idle[--_count];
                Idle[_count] = null!;
                return buffer;
            }
        }
        return GC.AllocateUninitializedArray<byte>(BufferSize);
    }

    /// <summary>Takes back a buffer from <see cref="Rent"/>, or a larger one from the shared pool.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length != BufferSize)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }
        lock (Gate)
        {
            if (_count < Retained)
            {
                Idle[_count++] = buffer;
            }
        }
    }
}
