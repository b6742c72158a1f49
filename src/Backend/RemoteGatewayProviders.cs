using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend;

/// <summary>
/// What a gateway needs when the functions run elsewhere (the AWS provider set): storage it reads
/// directly, where it records watch interest, the writer queue it sends to, and its own inbox.
/// <see cref="LastRoutedTrigger"/>: the zxid of the last watch trigger the distributor has routed (or
/// is about to route) to this gateway, as the distributor records it before writing (AWS: the epoch
/// ledger); a read that finds no node waits for it (see Gateway/InboxProgress.AwaitRoutedAsync).
/// </summary>
public sealed record RemoteGatewayProviders(
    ISystemStorage System,
    IUserStorage User,
    IWatchInterest Interest,
    IOrderedQueue<WriteRequest> WriterQueue,
    IOrderedQueue<IReadOnlyList<InboxItem>> Inbox,
    ISessionLeaseStore Leases,
    IAsyncDisposable? Owner = null,
    Func<CancellationToken, ValueTask<long>>? LastRoutedTrigger = null);
