using ZkGateway.Gateway.Dispatch;
using ZkGateway.Jute;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.JuteFuzz;

/// <summary>
/// A request body decoded by its opcode exactly as <c>RequestDispatcher.Dispatch</c> decodes it (the same
/// record readers, the same inline reads for sasl, reconfig and createSession), then mapped to the
/// backend operation the dispatcher would submit. The dispatcher itself needs a live connection and a
/// backend, so this mirrors its switch; a case added there belongs here too.
/// </summary>
public static class RequestBodies
{
    /// <summary>The decoded record (null for a body the gateway does not decode into one).</summary>
    public static IJuteRecord? Decode(OpCode op, ReadOnlySpan<byte> body)
    {
        var reader = new JuteReader(body);
        switch (op)
        {
            case OpCode.Exists:
                return ExistsRequest.Read(ref reader);
            case OpCode.GetData:
                return GetDataRequest.Read(ref reader);
            case OpCode.SetData:
                return SetDataRequest.Read(ref reader);
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            {
                var request = CreateRequest.Read(ref reader);
                _ = OperationMapping.ToTopLevelCreate(op, request.Path, request.Data, request.Acl, request.Flags, -1);
                return request;
            }
            case OpCode.CreateTtl:
            {
                var request = CreateTTLRequest.Read(ref reader);
                _ = OperationMapping.ToTopLevelCreate(op, request.Path, request.Data, request.Acl, request.Flags, request.Ttl);
                return request;
            }
            case OpCode.Delete:
            {
                var request = DeleteRequest.Read(ref reader);
                _ = OperationMapping.ToDelete(request);
                return request;
            }
            case OpCode.SetAcl:
                return SetACLRequest.Read(ref reader);
            case OpCode.Sync:
                return SyncRequest.Read(ref reader);
            case OpCode.Multi:
            {
                var request = MultiRequest.Read(ref reader);
                foreach (var item in request.Ops)
                {
                    _ = OperationMapping.ToWriteOperation(item);
                    _ = OperationMapping.TakesParentOfNullPath(item);
                }
                return request;
            }
            case OpCode.GetChildren:
            case OpCode.GetChildren2:
                return GetChildrenRequest.Read(ref reader);
            case OpCode.GetAcl:
                return GetACLRequest.Read(ref reader);
            case OpCode.GetAllChildrenNumber:
                return GetAllChildrenNumberRequest.Read(ref reader);
            case OpCode.GetEphemerals:
                return GetEphemeralsRequest.Read(ref reader);
            case OpCode.SetWatches:
            {
                var request = OperationMapping.ToSetWatches2(SetWatches.Read(ref reader));
                _ = WatchListsUpToNull.Of(request, persistentListsSent: false);
                return request;
            }
            case OpCode.SetWatches2:
            {
                var request = SetWatches2.Read(ref reader);
                _ = WatchListsUpToNull.Of(request, persistentListsSent: true);
                return request;
            }
            case OpCode.Auth:
                return AuthPacket.Read(ref reader);
            case OpCode.Check:
                return CheckVersionRequest.Read(ref reader);
            case OpCode.MultiRead:
                return MultiRequest.ReadMultiRead(ref reader);
            case OpCode.AddWatch:
                return AddWatchRequest.Read(ref reader);
            case OpCode.CheckWatches:
                return CheckWatchesRequest.Read(ref reader);
            case OpCode.RemoveWatches:
                return RemoveWatchesRequest.Read(ref reader);
            case OpCode.Sasl:
                return new GetSASLRequest(reader.ReadBuffer());
            case OpCode.Reconfig:
                return new ReconfigRequest(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadLong());
            case OpCode.CreateSession when reader.Remaining >= 4:
                _ = reader.ReadInt();
                return null;
            default:
                // ping, closeSession, deleteContainer, whoAmI, a short createSession and unknown ops: no body is read.
                return null;
        }
    }
}
