namespace ZkGateway.Nemesis.History;

/// <summary>What a client asked of one versioned znode.</summary>
public enum OpKind
{
    /// <summary>sync, then getData: returns the value and its version.</summary>
    Read,

    /// <summary>setData with version -1: always applies, the version grows by one.</summary>
    Write,

    /// <summary>setData with an expected version: applies only if the node has it.</summary>
    Cas,
}

/// <summary>How an operation ended, as the client knows it.</summary>
public enum Outcome
{
    /// <summary>The server acknowledged it (a read returned data, a write its new version).</summary>
    Ok,

    /// <summary>The server answered that it did not apply (a compare-and-set's BadVersion).</summary>
    Failed,

    /// <summary>No answer (ConnectionLoss, a timeout): it may or may not have taken effect, at any time after its invocation.</summary>
    Unknown,
}

/// <summary>
/// One operation of a history, with its real-time interval (Stopwatch ticks of the test process).
/// <see cref="Completed"/> is null for <see cref="Outcome.Unknown"/>: such an operation may take
/// effect at any point after <see cref="Invoked"/>, or never.
/// </summary>
/// <param name="Value">The value a write or compare-and-set writes; what a read returned.</param>
/// <param name="ExpectedVersion">A compare-and-set's expected version; -1 otherwise.</param>
/// <param name="Version">The version the server returned (a read's, a write's new one); -1 when there is none.</param>
public sealed record Operation(
    int Id,
    int Process,
    string Key,
    OpKind Kind,
    Outcome Outcome,
    long Invoked,
    long? Completed,
    string? Value,
    int ExpectedVersion,
    int Version)
{
    public override string ToString()
    {
        string what = Kind switch
        {
            OpKind.Read => $"read -> ({Value}, v{Version})",
            OpKind.Write => $"write {Value} -> v{Version}",
            _ => $"cas v{ExpectedVersion} {Value} -> {(Outcome == Outcome.Ok ? $"v{Version}" : "")}",
        };
        return $"#{Id} p{Process} {Key} {what} [{Outcome}] @{Invoked}..{(Completed?.ToString() ?? "?")}";
    }
}
