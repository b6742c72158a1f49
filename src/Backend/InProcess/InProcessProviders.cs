using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.InProcess;

/// <summary>
/// What a provider set hands <see cref="FaaSBackend.StartInProcessAsync"/> when the functions run in
/// the gateway's own process: the storages (already bootstrapped and recovered), the index the reaper
/// scans, the writer queue, and what the backend disposes when it stops.
/// </summary>
public sealed record InProcessProviders(
    ISystemStorage System,
    IUserStorage User,
    INodeTypeIndex NodeTypes,
    IOrderedQueue<WriteRequest> WriterQueue,
    IReadOnlyList<IDisposable> Owned);
