using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// An outbox that can send a batch's watch triggers again, through the inboxes of every interested
/// gateway (this one's included: it hears of another writer's batch only there): for a batch found at
/// the head with its node writes made, whose writer may have died before sending them.
/// </summary>
internal interface ITriggerResend
{
    ValueTask ResendTriggersAsync(IReadOnlyList<Txn> txns, CancellationToken cancellationToken);
}
