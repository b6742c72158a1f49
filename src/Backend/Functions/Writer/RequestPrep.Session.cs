using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>Sessions as writes: createSession, closeSession, and whether a request's session is alive.</summary>
internal sealed partial class RequestPrep
{
    private static WriteResult CreateSession(CreateSessionOperation create, WriteContext context)
    {
        context.Scope.CreatedSession = new SessionRecord(create.SessionId, create.Password, create.TimeoutMs);
        return new WriteResult(ErrorCode.Ok, context.Zxid);
    }

    /// <summary>
    /// closeSession deletes every ephemeral the session owns, whatever their number (the batch splits
    /// the close into parts when they do not fit one commit: <see cref="CloseSessionSplitter"/>).
    /// </summary>
    private async Task<WriteResult> CloseSessionAsync(WriteContext context)
    {
        long sessionId = context.SessionId;
        if (await system.GetSessionAsync(sessionId, context.Cancellation).ConfigureAwait(false) is null)
        {
            return new WriteResult(ErrorCode.Ok, context.Zxid);
        }
        foreach (string path in await system.GetEphemeralsAsync(sessionId, context.Cancellation).ConfigureAwait(false))
        {
            var node = await context.GetAsync(path).ConfigureAwait(false);
            if (node is null || node.Stat.EphemeralOwner != sessionId)
            {
                continue;
            }
            await RemoveNodeAsync(node, context).ConfigureAwait(false);
        }
        context.Scope.ClosedSession = sessionId;
        return new WriteResult(ErrorCode.Ok, context.Zxid);
    }

    private async ValueTask<bool> SessionAliveAsync(WriteContext context)
    {
        long sessionId = context.SessionId;
        if (context.Scope.ClosedSession == sessionId || context.Scope.ClosedEarlierInBatch(sessionId))
        {
            return false;
        }
        return await system.GetSessionAsync(sessionId, context.Cancellation).ConfigureAwait(false) is not null;
    }
}
