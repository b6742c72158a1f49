using System.Diagnostics.CodeAnalysis;

namespace ZkGateway.Jute;

/// <summary>
/// Malformed Jute input: a frame or record that can never become valid by reading more bytes.
/// Inside a complete frame, running short is malformed (never "need more").
/// </summary>
public sealed class JuteFormatException : Exception
{
    public JuteFormatException(string message) : base(message) { }

    [DoesNotReturn]
    public static void ThrowTruncated(string what, int needed, int remaining) =>
        throw new JuteFormatException($"Truncated {what}: needs {needed} bytes, {remaining} left in the frame.");

    [DoesNotReturn]
    public static void ThrowLengthOutOfRange(string what, int length, int limit) =>
        throw new JuteFormatException($"{what} length {length} is out of range (limit {limit}).");

    [DoesNotReturn]
    public static void ThrowFrameLengthOutOfRange(int length, int maxBuffer) =>
        throw new JuteFormatException($"Frame length {length} is out of range [0, {maxBuffer}].");

    [DoesNotReturn]
    public static void ThrowInvalid(string message) => throw new JuteFormatException(message);
}
