using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>
/// The watch lists of a setWatches (101) or setWatches2 (105) as 3.8.0 sets them. Its
/// <c>DataTree.setWatches</c> walks data, exist, child, persistent and persistent-recursive lists in that
/// order, and a null list (a vector count of −1) throws NullPointerException when it is reached: the
/// watches of the lists before it are set (and their events sent), those after are not, and the reply is
/// MarshallingError. setWatches (101) has no persistent lists: 3.8.0 passes empty ones.
/// </summary>
public readonly record struct WatchListsUpToNull(
    IReadOnlyList<string> Data,
    IReadOnlyList<string> Exist,
    IReadOnlyList<string> Child,
    IReadOnlyList<string> Persistent,
    IReadOnlyList<string> PersistentRecursive,
    bool StoppedAtNull)
{
    public static WatchListsUpToNull Of(SetWatches2 request, bool persistentListsSent)
    {
        IReadOnlyList<string>?[] lists =
        [
            request.DataWatches, request.ExistWatches, request.ChildWatches,
            persistentListsSent ? request.PersistentWatches : [],
            persistentListsSent ? request.PersistentRecursiveWatches : [],
        ];
        int firstNull = Array.IndexOf(lists, null);
        IReadOnlyList<string> At(int i) => firstNull >= 0 && i >= firstNull ? [] : lists[i]!;
        return new(At(0), At(1), At(2), At(3), At(4), firstNull >= 0);
    }
}
