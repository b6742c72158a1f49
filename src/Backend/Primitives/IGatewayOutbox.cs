namespace ZkGateway.Backend.Primitives;

/// <summary>
/// The distributor's way back to gateways: the watch triggers, replies and session ends of the
/// transactions it applies, per gateway in zxid order. Embedded, it hands them to the one in-process
/// gateway at once; on AWS it buffers them and <see cref="FlushAsync"/> sends one inbox message per
/// gateway per batch.
/// </summary>
public interface IGatewayOutbox
{
    /// <summary>
    /// Called once per batch before it is applied, with every transaction whose triggers the batch will
    /// route (<paramref name="writesNodes"/>: the batch writes user storage). Returns the epoch stamp to
    /// write on the batch's nodes: per gateway, the last trigger routed to it that may still be in
    /// flight, this batch's included. Embedded, triggers are delivered inside the apply step and
    /// nothing is ever in flight: null.
    /// </summary>
    ValueTask<EpochStamp?> PlanAsync(IReadOnlyList<Txn> txns, bool writesNodes, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<EpochStamp?>(null);

    /// <summary>
    /// Called inside the apply step of <paramref name="txn"/>, after its changes are visible and
    /// before the next transaction's: routes its watch triggers (an in-process gateway delivers them
    /// here, so no read can see the change before its event is queued).
    /// </summary>
    void Triggers(Txn txn);

    /// <summary>The reply to a write, after its transaction (and its triggers).</summary>
    void Reply(ReplyAddress address, WriteResult result);

    /// <summary>A session ended; <paramref name="gatewayId"/> is the one that serves it, when known.</summary>
    void SessionClosed(long sessionId, string? gatewayId);

    /// <summary>
    /// After the batch is applied: <paramref name="gateways"/> registered their first interest in a
    /// path too late for the batch's stamps to name them (<see cref="IUserStorage.ApplyAsync(IReadOnlyList{Txn}, EpochStamp?, Action{Txn}, CancellationToken)"/>).
    /// Each gets a Mark at <paramref name="zxid"/> (the batch's highest) after this batch's triggers to
    /// it: "every trigger for you up to here has been sent". Embedded: nothing is ever late.
    /// </summary>
    void Mark(IReadOnlyCollection<string> gateways, long zxid)
    {
    }

    /// <summary>Sends what was buffered since the last flush (the end of a distributor batch).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}
