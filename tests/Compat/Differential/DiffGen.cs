using CsCheck;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Compat.Differential;

/// <summary>
/// CsCheck generators for random differential sequences: 2–3 sessions interleaved, operations over a small
/// path universe (so creates collide, deletes hit non-empty nodes, versions are sometimes right), every
/// client-reachable op the gateway answers like 3.8.0.
/// <para>
/// Left out on purpose: a top-level check (op 13), which 3.8.0 answers only when it fails, so a passing one
/// would stall this harness's reply-per-step model (tests/Compat/Protocol and tests/ProtocolFuzz cover it); containers and TTL nodes
/// (being reworked; <see cref="IncludeContainers"/> turns containers on); ping, setWatches and sasl
/// (covered by tests/Compat/Protocol); session expiry (needs waiting for timeouts).
/// </para>
/// Shrinking: CsCheck shrinks by size, so fewer sessions, shorter op arrays, earlier choices of each
/// <c>OneOf</c>/<c>Frequency</c> and smaller ints are "smaller"; the first entries below are the simplest.
/// </summary>
public static class DiffGen
{
    /// <summary>Whether createContainer-mode creates are generated (off until containers are reaped).</summary>
    public static bool IncludeContainers { get; set; } = Environment.GetEnvironmentVariable("ZKGW_DIFF_CONTAINERS") == "1";

    /// <summary>
    /// Existing-or-not node paths, shallow ones most often (so parents exist and children collide); "/T" is the
    /// run's fresh subtree (rarely: deleting it ends most of the sequence's interest).
    /// </summary>
    private static readonly Gen<string> Node = Gen.Frequency(
        (6, Gen.Const("/T/a")), (5, Gen.Const("/T/b")), (4, Gen.Const("/T/a/c")), (3, Gen.Const("/T/a/d")), (3, Gen.Const("/T/b/c")),
        (1, Gen.Const("/T")), (2, Gen.Const("/T/a/c/e")), (1, Gen.Const("/T/s-0000000000")), (1, Gen.Const("/T/a/s-0000000001")),
        (1, Gen.Const("/T/a/s-0000000002")));

    /// <summary>Where sequential creates go (the suffix comes from the parent's counter).</summary>
    private static readonly string[] SequentialBases = ["/T/s-", "/T/a/s-", "/T/a/c/s-", "/T/b/"];

    /// <summary>Node data; null is a -1 buffer (Java's <c>create(path, null, ...)</c>), which 3.8.0 keeps apart from "".</summary>
    private static Gen<string?> Data => Gen.OneOf<string?>("", "x", "hello", null);

    private static readonly Gen<int> Version = Gen.OneOf(-1, 0, 1, 2, 5);

    private static readonly Gen<AclSet> AclGen = Gen.Frequency(
        (8, Gen.Const(AclSet.Open)), (2, Gen.Const(AclSet.ReadOnly)), (2, Gen.Const(AclSet.CreatorAll)),
        (2, Gen.Const(AclSet.AliceAll)), (1, Gen.Const(AclSet.BobReadAdmin)), (1, Gen.Const(AclSet.AnyoneCreateRead)),
        (1, Gen.Const(AclSet.Empty)), (1, Gen.Const(AclSet.BadScheme)));

    private static Gen<CreateMode> Mode => IncludeContainers
        ? Gen.OneOf(CreateMode.Persistent, CreateMode.Ephemeral, CreateMode.PersistentSequential, CreateMode.EphemeralSequential, CreateMode.Container)
        : Gen.OneOf(CreateMode.Persistent, CreateMode.Ephemeral, CreateMode.PersistentSequential, CreateMode.EphemeralSequential);

    /// <summary>Path and mode together: sequential modes mostly go to the sequential bases.</summary>
    private static Gen<(string Path, CreateMode Mode)> CreateTarget =>
        Mode.SelectMany(m => (m is CreateMode.PersistentSequential or CreateMode.EphemeralSequential
                ? Gen.Frequency((3, Gen.OneOf(SequentialBases)), (1, Node))
                : Node)
            .Select(p => (p, m)));

    private static readonly Gen<string> Credential = Gen.OneOf(Acls.AlicePassword, Acls.BobPassword, "alice:wrong", "super:" + Infrastructure.CompatSettings.SuperPassword);

    private static readonly Gen<WatcherType> WatchType = Gen.OneOf(WatcherType.Children, WatcherType.Data, WatcherType.Any);

    private static Gen<MultiSub> MultiSubGen => Gen.Frequency(
        (4, CreateTarget.Select(Data, AclGen, Gen.Bool, (t, d, a, two) => (MultiSub)new MCreate(t.Path, d, a, t.Mode, two))),
        (2, Node.Select(Version, (p, v) => (MultiSub)new MDelete(p, v))),
        (2, Node.Select(Data, Version, (p, d, v) => (MultiSub)new MSetData(p, d, v))),
        (2, Node.Select(Version, (p, v) => (MultiSub)new MCheck(p, v))));

    /// <summary>
    /// One op of session <paramref name="s"/>: a single request, or a few pipelined ones. Pipelines hold no
    /// closeSession and no addauth: 3.8.0 answers auth at once, outside its request pipeline, so a pipelined auth
    /// can overtake the replies before it (timing-dependent on ZooKeeper itself). No write follows a setACL in a
    /// pipeline: 3.8.0 checks such a write against the old ACL (a deliberate difference, docs/compatibility.md;
    /// <c>GatewayOnlyScenarios</c>).
    /// </summary>
    private static Gen<DiffOp> OpGen(Gen<int> s) => Gen.Frequency(
        (12, SingleOpGen(s)),
        (1, s.SelectMany(k => SingleOpGen(Gen.Const(k)).Where(o => o is not (CloseSession or AddAuth)).Array[2, 5]
            .Where(ops => IncludePipelinedWrites || ops.Count(o => o.IsWrite) <= 1)
            .Where(ops => !ops.SkipWhile(o => o is not SetAcl).Skip(1).Any(o => o.IsWrite))
            .Select(ops => (DiffOp)new Pipeline(k, ops)))));

    /// <summary>
    /// Whether a pipeline may hold more than one write. On since the gateway sends the reply to write N before
    /// the events of write N+1 (curated case <c>pipelined_writes_event_overtakes_an_earlier_reply</c>);
    /// ZKGW_DIFF_PIPELINED_WRITES=0 turns it off.
    /// </summary>
    public static bool IncludePipelinedWrites { get; set; } = Environment.GetEnvironmentVariable("ZKGW_DIFF_PIPELINED_WRITES") != "0";

    private static Gen<DiffOp> SingleOpGen(Gen<int> s) => Gen.Frequency(
        (10, s.Select(CreateTarget, Data, AclGen, Gen.Bool, (k, t, d, a, two) => (DiffOp)new Create(k, t.Path, d, a, t.Mode, two))),
        (4, s.Select(Node, Gen.Bool, (k, p, w) => (DiffOp)new GetData(k, p, w))),
        (4, s.Select(Node, Gen.Bool, (k, p, w) => (DiffOp)new Exists(k, p, w))),
        (4, s.Select(Node, Gen.Bool, Gen.Bool, (k, p, w, two) => (DiffOp)new GetChildren(k, p, w, two))),
        (5, s.Select(Node, Version, (k, p, v) => (DiffOp)new Delete(k, p, v))),
        (5, s.Select(Node, Data, Version, (k, p, d, v) => (DiffOp)new SetData(k, p, d, v))),
        (3, s.Select(MultiSubGen.Array[0, 4], (k, ops) => (DiffOp)new Multi(k, ops))),
        (2, s.Select(Node.Select(Gen.Bool, (p, c) => new ReadSub(p, c)).Array[0, 3], (k, ops) => (DiffOp)new MultiRead(k, ops))),
        (2, s.Select(Node, (k, p) => (DiffOp)new GetAcl(k, p))),
        (2, s.Select(Node, AclGen, Version, (k, p, a, v) => (DiffOp)new SetAcl(k, p, a, v))),
        (2, s.Select(Credential, (k, c) => (DiffOp)new AddAuth(k, "digest", c))),
        (2, s.Select(Node, Gen.Bool, (k, p, r) => (DiffOp)new AddWatch(k, p, r))),
        (1, s.Select(Node, WatchType, (k, p, t) => (DiffOp)new CheckWatches(k, p, t))),
        (2, s.Select(Node, WatchType, (k, p, t) => (DiffOp)new RemoveWatches(k, p, t))),
        (1, s.Select(Node, (k, p) => (DiffOp)new Sync(k, p))),
        (1, s.Select(Node, (k, p) => (DiffOp)new AllChildrenNumber(k, p))),
        (1, s.Select(Gen.OneOf("/T", "/T/a", "/T/s"), (k, p) => (DiffOp)new GetEphemerals(k, p))),
        (1, s.Select(k => (DiffOp)new WhoAmI(k))),
        (1, s.Select(k => (DiffOp)new CloseSession(k))));

    /// <summary>A sequence of 1–<paramref name="maxOps"/> steps over 2–3 sessions.</summary>
    public static Gen<Sequence> Sequences(int maxOps = 30) =>
        from n in Gen.Int[2, 3]
        from ops in OpGen(Gen.Int[0, n - 1]).Array[1, maxOps]
        select new Sequence(n, ops);
}
