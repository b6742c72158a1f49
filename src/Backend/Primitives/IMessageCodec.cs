namespace ZkGateway.Backend.Primitives;

/// <summary>
/// How a message travels through a cloud queue: a compact binary body (sent base64-encoded) and the
/// deduplication id that lets the queue drop a resend of the same message (SQS FIFO keeps ids 5 min).
/// </summary>
public interface IMessageCodec<T>
{
    byte[] Encode(T message);

    T Decode(ReadOnlySpan<byte> body);

    string DeduplicationId(T message);
}
