namespace ZkGateway.Backend.Aws;

/// <summary>A pending entry's encoded transaction, and the S3 key it was offloaded to when too large for the item (see <see cref="DynamoPendingLog"/>).</summary>
internal sealed record PendingPayload(byte[] Bytes, string? S3Key);
