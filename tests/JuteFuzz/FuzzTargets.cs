namespace ZkGateway.JuteFuzz;

/// <summary>
/// The targets by name, each run under the allocation bound: a hostile length or count must not make
/// the decoders allocate for bytes that never arrived, so what one input allocates is bounded by its own
/// size (a fixed slack, then a factor per input byte for strings, lists and records), never by
/// jute.maxbuffer or a declared length.
/// </summary>
public static class FuzzTargets
{
    public const long AllocationSlack = 256 * 1024;

    /// <summary>Managed bytes allowed per input byte: a UTF-16 char per byte, list slots and record objects per field.</summary>
    public const long AllocationPerInputByte = 64;

    public static readonly IReadOnlyDictionary<string, Action<byte[]>> ByName = new Dictionary<string, Action<byte[]>>
    {
        ["frames"] = input => FrameTarget.Run(input),
        ["records"] = input => RecordTarget.Run(input),
        ["handshake"] = input => HandshakeTarget.Run(input),
    };

    public static void Run(string target, byte[] input)
    {
        var run = ByName[target];
        long before = GC.GetAllocatedBytesForCurrentThread();
        run(input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long bound = AllocationSlack + AllocationPerInputByte * input.Length;
        InvariantViolation.Check(allocated <= bound, $"{target}: allocated {allocated} bytes for a {input.Length}-byte input (bound {bound})");
    }
}
