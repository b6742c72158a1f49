using System.Collections.Concurrent;

namespace ZkGateway.Nemesis.Workload;

/// <summary>What the workers saw besides the register history: connections, ephemeral probes, expiries, odd replies.</summary>
internal sealed class WorkloadRecords
{
    private readonly ConcurrentQueue<ConnectionRecord> _connections = new();
    private readonly ConcurrentQueue<EphemeralObservation> _ephemerals = new();
    private readonly ConcurrentQueue<string> _notes = new();
    private int _expiries;

    public void Add(ConnectionRecord connection) => _connections.Enqueue(connection);

    public void Add(EphemeralObservation observation) => _ephemerals.Enqueue(observation);

    public void Expired(int process, long sessionId) => Interlocked.Increment(ref _expiries);

    public void Unexpected(int process, string what) => _notes.Enqueue($"p{process}: {what}");

    public IReadOnlyList<ConnectionRecord> Connections => [.. _connections];

    public IReadOnlyList<EphemeralObservation> Ephemerals => [.. _ephemerals];

    public IReadOnlyList<string> Notes => [.. _notes];

    public int Expiries => _expiries;
}
