namespace ZkGateway.Backend.Aws;

/// <summary>
/// What a writer that applies its own batches (the gateway write path) knows when a batch is planned,
/// so that the outbox need not read it: the interest generation (<paramref name="Generation"/>: it
/// changes whenever another writer's batch came, which any registration of interest is) and whether
/// the epoch ledger is as this writer last left it (<paramref name="LedgerKnown"/>: no other writer
/// wrote since).
/// </summary>
public readonly record struct WriterPlanBasis(long Generation, bool LedgerKnown);
