using ZkGateway.Backend;
using ZkGateway.Gateway.Connections;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Dispatch;

// The backend calls whose results need more than one line to become a reply: the writes and their
// reply bodies, multi's results, multiRead.
public sealed partial class RequestDispatcher
{
    private async ValueTask<Reply> Closing(ZkConnection connection)
    {
        var result = await _backend.CloseSessionAsync(connection.SessionId).ConfigureAwait(false);
        return new Reply(result.Zxid, ErrorCode.Ok, ReplyBody.None);
    }

    private async ValueTask<Reply> SubmitSingle(ZkConnection connection, CallerIdentity caller, WriteOperation operation, Func<OpResult, ReplyBody> body)
    {
        var result = await _backend.SubmitAsync(connection.SessionId, operation, caller).ConfigureAwait(false);
        var error = result.Result?.Error ?? result.Error;
        return new Reply(result.Zxid, error, error == ErrorCode.Ok ? body(result.Result ?? new OpResult(ErrorCode.Ok)) : ReplyBody.None);
    }

    private ValueTask<Reply> SubmitCreate(ZkConnection connection, CallerIdentity caller, OpCode op, WriteOperation create) =>
        SubmitSingle(connection, caller, create, r => ReplyBody.Of(op == OpCode.Create ? new CreateResponse(r.Path!) : new Create2Response(r.Path!, r.Stat!.Value)));

    /// <summary>
    /// A multi 3.8.0's PrepRequestProcessor fails on as a whole (a create or delete of a null path):
    /// MarshallingError with a zxid consumed, and FinalRequestProcessor still writes the
    /// (empty) MultiResponse, so the header carries its 9-byte end marker.
    /// </summary>
    private async ValueTask<Reply> SubmitUnprocessableMulti(ZkConnection connection, CallerIdentity caller)
    {
        var result = await _backend.SubmitAsync(connection.SessionId, new InvalidOperation(ErrorCode.MarshallingError), caller).ConfigureAwait(false);
        return new Reply(result.Zxid, ErrorCode.MarshallingError, new MultiResponse([]));
    }

    private async ValueTask<Reply> SubmitMulti(ZkConnection connection, CallerIdentity caller, MultiRequest request, List<WriteOperation> ops)
    {
        var result = await _backend.SubmitAsync(connection.SessionId, new MultiOperation(ops), caller).ConfigureAwait(false);
        var outcomes = result.MultiResults ?? [];
        var results = new List<MultiResult>(request.Ops.Count);
        bool failed = outcomes.Any(o => o.Error != ErrorCode.Ok);
        for (int i = 0; i < request.Ops.Count; i++)
        {
            var outcome = i < outcomes.Count ? outcomes[i] : new OpResult(ErrorCode.RuntimeInconsistency);
            if (failed)
            {
                // Every result of a failed multi is an error result: 0 for the rolled-back ops before
                // the failure, the failing op's code, then RuntimeInconsistency.
                results.Add(MultiResult.Error(outcome.Error));
                continue;
            }
            results.Add(OperationMapping.ToMultiResult(request.Ops[i].Type, ops[i], outcome));
        }
        return new Reply(result.Zxid, ErrorCode.Ok, new MultiResponse(results));
    }

    /// <summary>
    /// multiRead (FinalRequestProcessor): every op answered on its own, not atomically; getData and
    /// getChildren with their READ check; an op's failure is an error result (type -1, the code,
    /// ErrorResponse). 3.8.0 ignores the sub-requests' watch flags (checked: no watch is set).
    /// </summary>
    private async ValueTask<Reply> MultiReadAsync(MultiRequest request, CallerIdentity caller)
    {
        var results = new List<MultiResult>(request.Ops.Count);
        foreach (var item in request.Ops)
        {
            switch (item.Record)
            {
                case GetDataRequest get:
                {
                    var r = await _backend.GetDataAsync(get.Path ?? "", null, caller).ConfigureAwait(false);
                    results.Add(r.IsOk ? MultiResult.GetData(r.Value!.Data, r.Value.Stat) : MultiResult.Error(r.Error));
                    break;
                }
                case GetChildrenRequest children:
                {
                    var r = await _backend.GetChildrenAsync(children.Path ?? "", null, caller).ConfigureAwait(false);
                    results.Add(r.IsOk ? MultiResult.GetChildren(r.Value!.Children) : MultiResult.Error(r.Error));
                    break;
                }
                default:
                    results.Add(MultiResult.Error(ErrorCode.MarshallingError));
                    break;
            }
        }
        return new Reply(_backend.LastAppliedZxid, ErrorCode.Ok, new MultiResponse(results));
    }
}
