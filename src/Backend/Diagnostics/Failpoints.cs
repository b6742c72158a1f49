namespace ZkGateway.Backend.Diagnostics;

/// <summary>
/// Named points in shipping code where a test makes the process fail or wait, in the manner of etcd's
/// gofail and TiKV's fail-rs: the code says <c>await Failpoints.HitAsync(Failpoints.X, ct)</c> at the
/// point, and a test arms the point with an action (<c>kill</c>, <c>pause(file)</c>; see
/// <see cref="FailpointAction"/>). This class is the one place that reads how they are armed: the
/// <c>ZKGW_FAILPOINTS</c> environment variable of the process (<c>"point=action;point@subject=action"</c>,
/// see <see cref="FailpointTable"/>), or <see cref="Arm"/> in a test process that sets the runtime switch
/// <see cref="Switch"/>. Unarmed, a hit costs one check of a static readonly bool, which the JIT folds
/// away. docs/failpoints.md lists the points.
/// </summary>
public static class Failpoints
{
    /// <summary>The environment variable that arms points for the whole process, read once at start.</summary>
    public const string EnvironmentVariable = "ZKGW_FAILPOINTS";

    /// <summary>
    /// The runtime switch (runtimeconfig.json's configProperties, e.g. a RuntimeHostConfigurationOption
    /// in a test project) that lets the process arm points in code with <see cref="Arm"/>.
    /// </summary>
    public const string Switch = "ZkGateway.Failpoints";

    /// <summary>Writer: a batch holds its locks and has committed nothing yet.</summary>
    public const string WriterBeforeCommit = "writer-before-commit";

    /// <summary>Writer: a batch has committed and pushed nothing to the distributor yet.</summary>
    public const string WriterAfterCommit = "writer-after-commit";

    /// <summary>
    /// Distributor: a batch that writes nodes has made its plan (the first interest lookup, the ledger's
    /// record) and written nothing yet.
    /// </summary>
    public const string DistributorBeforeApply = "distributor-before-apply";

    /// <summary>
    /// Distributor: a batch's nodes are written and nothing of it has been sent yet (triggers, replies).
    /// </summary>
    public const string DistributorBeforeSend = "distributor-before-send";

    /// <summary>
    /// Gateway (serverless): a batch received from the gateway's inbox is about to be handled; the
    /// subject is the gateway's id. Paused, the gateway behaves as one whose inbox is slow.
    /// </summary>
    public const string GatewayInbox = "gateway-inbox";

    /// <summary>
    /// Embedded store: a log record is written and about to be fsync'd; the subject is the log's
    /// directory. Armed with <c>fail(file)</c>, the fsync fails as a disk's EIO would (PostgreSQL's "fsyncgate").
    /// </summary>
    public const string StoreFsync = "store-fsync";

    /// <summary>
    /// Embedded store: a lazy recovery's background tree load is about to read the snapshot's nodes;
    /// reads are served from the snapshot's index meanwhile. Paused, the load waits (tests of reads and
    /// writes during the load); <c>kill</c>, a crash in the middle of it.
    /// </summary>
    public const string StoreTreeLoad = "store-tree-load";

    /// <summary>
    /// Import into an AWS deployment: a batch of nodes is written and recorded in the import's marker;
    /// the subject is the batch's number (1 for the first). <c>kill</c>: an import interrupted there.
    /// </summary>
    public const string ImportBatch = "import-batch";

    /// <summary>Every point's name: arming an unknown one is an error (a misspelt test would test nothing).</summary>
    public static IReadOnlyList<string> Names { get; } = [WriterBeforeCommit, WriterAfterCommit, DistributorBeforeApply, DistributorBeforeSend, GatewayInbox, StoreFsync, StoreTreeLoad, ImportBatch];

    private static readonly string? FromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);

    /// <summary>Whether any point can be armed in this process. Static readonly: constant once the JIT sees it.</summary>
    private static readonly bool Enabled =
        !string.IsNullOrWhiteSpace(FromEnvironment) || (AppContext.TryGetSwitch(Switch, out bool on) && on);

    private static readonly Lock ArmLock = new();

    /// <summary>The armed points; replaced whole (under <see cref="ArmLock"/>) so that a hit reads it without a lock.</summary>
    private static FailpointTable _armed = FailpointTable.Parse(FromEnvironment);

    /// <summary>Runs the action armed at <paramref name="point"/>, if any.</summary>
    public static ValueTask HitAsync(string point, CancellationToken cancellationToken) => HitAsync(point, null, cancellationToken);

    /// <summary>
    /// Runs the action armed at <paramref name="point"/> for this <paramref name="subject"/> (e.g. a
    /// gateway's id, when several share a process), or for any subject; none armed: returns at once.
    /// </summary>
    public static ValueTask HitAsync(string point, string? subject, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return ValueTask.CompletedTask;
        }
        return Volatile.Read(ref _armed).Find(point, subject) is { } action
            ? action.RunAsync(point, cancellationToken)
            : ValueTask.CompletedTask;
    }

    /// <summary>
    /// <see cref="HitAsync(string, string, CancellationToken)"/> for synchronous code (a file write under
    /// a lock), with the same subject rule: a <c>pause</c> blocks the calling thread.
    /// </summary>
    public static void Hit(string point, string? subject = null)
    {
        if (Enabled && Volatile.Read(ref _armed).Find(point, subject) is { } action)
        {
            action.RunAsync(point, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Arms points in this process (same spelling as <c>ZKGW_FAILPOINTS</c>) until the result is
    /// disposed; they take precedence over points armed before. Needs the runtime switch
    /// <see cref="Switch"/> or the environment variable.
    /// </summary>
    public static IDisposable Arm(string spec)
    {
        if (!Enabled)
        {
            throw new InvalidOperationException($"Failpoints are off in this process: set {EnvironmentVariable}, or the runtime switch {Switch} (a RuntimeHostConfigurationOption in the test project).");
        }
        var added = FailpointTable.Parse(spec);
        lock (ArmLock)
        {
            Volatile.Write(ref _armed, added.Then(_armed));
        }
        return new Disarm(added);
    }

    private sealed class Disarm(FailpointTable added) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (ArmLock)
                {
                    Volatile.Write(ref _armed, _armed.Without(added));
                }
            }
        }
    }
}
