using System.Globalization;
using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// How a stored node says what kind it is, as ZooKeeper encodes it (EphemeralType): a session's id in
/// ephemeralOwner for an ephemeral, a negative marker there for a container or TTL node (hidden from
/// clients), and the parent's creation counter as a sequential node's suffix.
/// </summary>
public static class NodeKinds
{
    /// <summary>TTL nodes' largest TTL: 2^40 − 1 ms (EphemeralType.TTL).</summary>
    internal const long MaxTtl = (1L << 40) - 1;

    /// <summary>ZooKeeper's owner marker for containers (EphemeralType.CONTAINER_EPHEMERAL_OWNER).</summary>
    public const long ContainerMarker = long.MinValue;

    /// <summary>ZooKeeper marks TTL nodes with 0xFF in the owner's top byte plus the TTL.</summary>
    internal static long TtlMarker(long ttl) => unchecked((long)0xFF00000000000000UL) | ttl;

    /// <summary>Whether a stored owner marks a container.</summary>
    public static bool IsContainer(long ephemeralOwner) => ephemeralOwner == ContainerMarker;

    /// <summary>The TTL a stored owner marks (top byte 0xFF, TTL in the low 40 bits), or null for any other node.</summary>
    public static long? TtlOf(long ephemeralOwner) =>
        (ulong)ephemeralOwner >> 56 == 0xFF && (ephemeralOwner & MaxTtl) is > 0 and var ttl ? ttl : null;

    /// <summary>What clients see: cversion derived from the creation counter; container/TTL markers hidden.</summary>
    public static Stat VisibleStat(SystemNode node)
    {
        var stat = node.ClientStat;
        return stat.EphemeralOwner < 0 ? stat with { EphemeralOwner = 0 } : stat;
    }

    /// <summary>Java's <c>String.format("%010d", counter)</c>: width 10 including a minus sign.</summary>
    public static string SequenceSuffix(int counter) =>
        counter >= 0 ? counter.ToString("D10", CultureInfo.InvariantCulture)
        : counter == int.MinValue ? "-2147483648"
        : "-" + (-counter).ToString("D9", CultureInfo.InvariantCulture);
}
