using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// ZooKeeper's PrepRequestProcessor for the writer: turns one request into its transaction. It assigns
/// the zxid, checks each operation in ZooKeeper's order (one partial file per operation family), and
/// stages the effects in the request's <see cref="RequestScope"/>, with the changes and watch triggers
/// its transaction carries. A request that fails stages nothing. Locking is the scope's, committing
/// the batch's.
/// </summary>
internal sealed partial class RequestPrep(ISystemStorage system, TimeProvider time, BackendOptions options, QuotaGuard? quotas)
{
    /// <summary>Whether a result is a failure: of the request, or of an operation of a multi.</summary>
    public static bool IsFailure(WriteResult result) =>
        result.Error != ErrorCode.Ok || (result.MultiResults?.Any(r => r.Error != ErrorCode.Ok) ?? false);

    public async Task<Txn> PrepareAsync(WriteRequest request, RequestScope scope, CancellationToken ct)
    {
        using var charge = CostMeter.Begin(CostMeter.NameOf(request.Operation));
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (request.Operation is SyncOperation sync)
        {
            // sync is not a transaction: no zxid; it only keeps its place in the total order.
            long current = await system.ReadCounterAsync(WriterFunction.ZxidCounter, ct).ConfigureAwait(false);
            return new Txn(current, now, request.SessionId, request.ReplyTo, new WriteResult(ErrorCode.Ok, current, new OpResult(ErrorCode.Ok, sync.Path)), [], []);
        }

        long zxid = await system.IncrementCounterAsync(WriterFunction.ZxidCounter, ct).ConfigureAwait(false);
        var context = new WriteContext(request.SessionId, request.Caller ?? CallerIdentity.Anonymous, zxid, now, scope, ct);
        var result = request.Operation switch
        {
            CreateSessionOperation create => CreateSession(create, context),
            CloseSessionOperation => await CloseSessionAsync(context).ConfigureAwait(false),
            // The reaper's request has no session (ZooKeeper sends it with session 0).
            DeleteContainerOperation reap => await DeleteContainerAsync(reap, context).ConfigureAwait(false),
            MultiOperation multi => await MultiAsync(multi, context).ConfigureAwait(false),
            var single => await SingleAsync(single, context).ConfigureAwait(false),
        };
        if (IsFailure(result))
        {
            context.DiscardEffects();
        }
        return new Txn(zxid, now, request.SessionId, request.ReplyTo, result, context.Changes, context.Triggers, scope.ClosedSession);
    }

    private async Task<WriteResult> SingleAsync(WriteOperation operation, WriteContext context)
    {
        if (!await SessionAliveAsync(context).ConfigureAwait(false))
        {
            return new WriteResult(ErrorCode.SessionExpired, context.Zxid);
        }
        var op = await ApplyAsync(operation, context).ConfigureAwait(false);
        return new WriteResult(op.Error, context.Zxid, op);
    }

    /// <summary>
    /// The node an operation acts on, with ZooKeeper's next two checks: NoNode if it is absent, then
    /// NoAuth if the caller lacks <paramref name="perm"/> on it. Null node: the error says why.
    /// </summary>
    private static async ValueTask<(SystemNode? Node, ErrorCode Error)> FindAsync(string path, Perms perm, WriteContext context)
    {
        var node = await context.GetAsync(path).ConfigureAwait(false);
        return node is null ? (null, ErrorCode.NoNode)
            : !AclRules.Allows(node.Acl, perm, context.Caller) ? (null, ErrorCode.NoAuth)
            : (node, ErrorCode.Ok);
    }

    /// <summary>One operation, alone or in a multi, checked in ZooKeeper's order; stages its effects.</summary>
    private ValueTask<OpResult> ApplyAsync(WriteOperation operation, WriteContext context) => operation switch
    {
        CreateOperation create => CreateAsync(create, context),
        NullPathTtlCreateOperation nullPath => ValueTask.FromResult(new OpResult(TtlRefusal(nullPath.Mode, nullPath.Ttl) ?? ErrorCode.MarshallingError)),
        DeleteOperation delete => DeleteAsync(delete, context),
        SetDataOperation set => SetDataAsync(set, context),
        CheckOperation check => CheckAsync(check, context),
        SetAclOperation setAcl => SetAclAsync(setAcl, context),
        InvalidOperation invalid => ValueTask.FromResult(new OpResult(invalid.Error)),
        _ => ValueTask.FromResult(new OpResult(ErrorCode.Unimplemented)),
    };
}
