using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The outbox of a distributor hosted in a gateway (the gateway write path): this gateway's own
/// watchers, replies and session ends are handed over in-process inside the apply step, as in the
/// embedded deployment (<paramref name="local"/>); other gateways get theirs through their inboxes,
/// with the epoch stamps that make their reads wait for them (<paramref name="remote"/>, which skips
/// this gateway).
/// </summary>
internal sealed class LocalFirstOutbox(string gatewayId, IGatewayOutbox local, InboxOutbox remote) : IGatewayOutbox, ITriggerResend
{
    public ValueTask ResendTriggersAsync(IReadOnlyList<Txn> txns, CancellationToken cancellationToken) =>
        remote.ResendTriggersAsync(txns, cancellationToken);

    public ValueTask<EpochStamp?> PlanAsync(IReadOnlyList<Txn> txns, bool writesNodes, CancellationToken cancellationToken = default) =>
        remote.PlanAsync(txns, writesNodes, cancellationToken);

    public void Triggers(Txn txn)
    {
        local.Triggers(txn);
        remote.Triggers(txn);
    }

    public void Reply(ReplyAddress address, WriteResult result)
    {
        if (address.GatewayId == gatewayId)
        {
            local.Reply(address, result);
        }
        else
        {
            // A batch this gateway applies for a writer that did not (helping): its client may still wait.
            remote.Reply(address, result);
        }
    }

    public void SessionClosed(long sessionId, string? servedBy)
    {
        local.SessionClosed(sessionId, servedBy);
        if (servedBy is not null && servedBy != gatewayId)
        {
            remote.SessionClosed(sessionId, servedBy);
        }
    }

    public void Mark(IReadOnlyCollection<string> gateways, long zxid) => remote.Mark(gateways, zxid);

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await local.FlushAsync(cancellationToken).ConfigureAwait(false);
        await remote.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
