using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Where an import's nodes go on one write path (<see cref="AwsTreeImport"/>): the marker, batches and
/// counters are the same for both; what a node's items look like, and what is written after the
/// counters, is the path's own.
/// </summary>
internal interface IImportLayout
{
    /// <summary>The table whose items with a Stat are the deployment's nodes (checked for user nodes before a fresh import).</summary>
    string NodesTable { get; }

    /// <summary>The highest zxid the deployment handed out so far (the import's counter is at least this).</summary>
    ValueTask<long> ReadCurrentZxidAsync(CancellationToken ct);

    /// <summary>Writes one batch of nodes (whole-item puts, harmless to repeat) stamped with <paramref name="stampZxid"/>.</summary>
    ValueTask WriteBatchAsync(IReadOnlyList<SeedNode> nodes, IReadOnlyDictionary<string, List<string>> children, long stampZxid, CancellationToken ct);

    /// <summary>After the nodes and counters, before the marker goes: whatever makes writers continue at <paramref name="zxidCounter"/>.</summary>
    ValueTask FinishAsync(long zxidCounter, CancellationToken ct);
}
