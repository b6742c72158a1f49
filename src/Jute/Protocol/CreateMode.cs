namespace ZkGateway.Jute.Protocol;

/// <summary>
/// The <c>flags</c> field of a create request. These are enum values, not bits: anything else is
/// BadArguments.
/// </summary>
public enum CreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
    Container = 4,
    PersistentWithTtl = 5,
    PersistentSequentialWithTtl = 6,
}

public static class CreateModeExtensions
{
    public static bool IsValid(this CreateMode mode) => mode is >= CreateMode.Persistent and <= CreateMode.PersistentSequentialWithTtl;

    public static bool IsEphemeral(this CreateMode mode) => mode is CreateMode.Ephemeral or CreateMode.EphemeralSequential;

    public static bool IsSequential(this CreateMode mode) =>
        mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl;

    public static bool IsTtl(this CreateMode mode) => mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;

    public static bool IsContainer(this CreateMode mode) => mode == CreateMode.Container;
}
