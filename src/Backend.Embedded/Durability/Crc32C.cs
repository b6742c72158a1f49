using System.Buffers.Binary;
using System.Numerics;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// CRC-32C (Castagnoli) of the store's records and snapshots, on the CPU's CRC instruction where it has
/// one (<see cref="BitOperations.Crc32C(uint, ulong)"/>). It tells a torn or damaged record from a whole one.
/// </summary>
internal static class Crc32C
{
    public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            bytes = bytes[8..];
        }
        foreach (byte b in bytes)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return crc;
    }

    public static uint Of(ReadOnlySpan<byte> bytes) => ~Append(~0u, bytes);
}
