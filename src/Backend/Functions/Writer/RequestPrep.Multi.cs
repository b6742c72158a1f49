using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>multi: its operations in order, all or nothing, under one zxid.</summary>
internal sealed partial class RequestPrep
{
    private async Task<WriteResult> MultiAsync(MultiOperation multi, WriteContext context)
    {
        var results = new List<OpResult>(multi.Operations.Count);
        bool alive = await SessionAliveAsync(context).ConfigureAwait(false);
        int failedAt = -1;
        for (int i = 0; i < multi.Operations.Count; i++)
        {
            var op = alive
                ? await ApplyAsync(multi.Operations[i], context).ConfigureAwait(false)
                : new OpResult(ErrorCode.SessionExpired);
            results.Add(op);
            if (op.Error != ErrorCode.Ok)
            {
                failedAt = i;
                break;
            }
        }
        if (failedAt >= 0)
        {
            // All or nothing: earlier ops report Ok (kazoo's RolledBackError), the failing op its code,
            // later ops RuntimeInconsistency. The reply header's err stays Ok.
            var rolledBack = new List<OpResult>(multi.Operations.Count);
            for (int i = 0; i < multi.Operations.Count; i++)
            {
                rolledBack.Add(i < failedAt ? new OpResult(ErrorCode.Ok) : i == failedAt ? new OpResult(results[i].Error) : new OpResult(ErrorCode.RuntimeInconsistency));
            }
            return new WriteResult(ErrorCode.Ok, context.Zxid, null, rolledBack);
        }
        return new WriteResult(ErrorCode.Ok, context.Zxid, null, results);
    }
}
