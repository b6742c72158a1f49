using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkGateway.Backend;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Sasl;
using ZkGateway.Jute;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>
/// Turns one request frame into backend calls and a reply in the connection's outbound queue: one
/// switch on the opcode (zetcd's DispatchZK, Garnet's ProcessBasicCommands).
/// <para>
/// The reply slot is reserved here, in request order; the connection's <see cref="RequestScheduler"/>
/// decides when each request runs (ZooKeeper's FIFO client order). Which backend operation a create
/// or multi becomes is <see cref="OperationMapping"/>'s; addauth is <see cref="DigestAuth"/>'s.
/// </para>
/// </summary>
public sealed partial class RequestDispatcher
{
    private readonly IZkBackend _backend;
    private readonly DigestAuth _auth;
    private readonly SaslAuthenticator _sasl;
    private readonly ILogger _logger;

    /// <param name="backend">The backend every request is answered from.</param>
    /// <param name="options">The gateway's options (the super digest).</param>
    /// <param name="logger">Where undecodable request bodies are logged (none by default).</param>
    public RequestDispatcher(IZkBackend backend, GatewayOptions options, ILogger? logger = null)
    {
        _backend = backend;
        _auth = new DigestAuth(options);
        _logger = logger ?? NullLogger.Instance;
        _sasl = new SaslAuthenticator(options.Sasl, _logger);
    }

    /// <summary>What the read loop does after a request.</summary>
    public enum Next
    {
        Continue,

        /// <summary>Stop reading; the connection closes once its reply is written.</summary>
        Close,
    }

    public Next Dispatch(ZkConnection connection, RequestHeader header, ReadOnlySpan<byte> body)
    {
        // 3.8.0 answers a ping with the ping xid (-2) whatever xid it came with (FinalRequestProcessor).
        var slot = connection.Outbound.Reserve(header.Type == OpCode.Ping ? Xids.Ping : header.Xid, (int)header.Type);
        if (_sasl.Refuses(connection.Caller, header.Type))
        {
            // enforce.auth (3.8.0's AuthenticationHelper): refused before the request is decoded, zxid 0, then closed.
            connection.Outbound.Complete(slot, 0, ErrorCode.SessionClosedRequireSaslAuth, null, closeAfter: true);
            return Next.Close;
        }
        var reader = new JuteReader(body);
        try
        {
            // The hottest requests are handled here, with static lambdas and no captured locals: the
            // lambdas of the other cases share one closure object, allocated whenever their method is
            // entered, so keeping these out of it lets a getData answered at once allocate nothing
            // beyond its path (GatewayPathBenchmarks).
            switch (header.Type)
            {
                case OpCode.Ping:
                    connection.Scheduler.Read(slot, _backend, static backend => new ValueTask<Reply>(new Reply(backend.LastAppliedZxid, ErrorCode.Ok, ReplyBody.None)));
                    return Next.Continue;

                case OpCode.Exists:
                {
                    var request = ExistsRequest.Read(ref reader);
                    MarkIfWatching(connection, slot, request.Watch);
                    connection.Scheduler.Read(slot, (Backend: _backend, Path: ReadPath(request.Path), Watcher: request.Watch ? connection.Id : (long?)null, Caller: connection.Caller), static async s =>
                    {
                        var r = await s.Backend.ExistsAsync(s.Path, s.Watcher, s.Caller).ConfigureAwait(false);
                        return new Reply(r.Zxid, r.Error, r.IsOk ? ReplyBody.StatOnly(r.Value) : ReplyBody.None);
                    });
                    return Next.Continue;
                }

                case OpCode.GetData:
                {
                    var request = GetDataRequest.Read(ref reader);
                    MarkIfWatching(connection, slot, request.Watch);
                    connection.Scheduler.Read(slot, (Backend: _backend, Path: ReadPath(request.Path), Watcher: request.Watch ? connection.Id : (long?)null, Caller: connection.Caller), static async s =>
                    {
                        var r = await s.Backend.GetDataAsync(s.Path, s.Watcher, s.Caller).ConfigureAwait(false);
                        return new Reply(r.Zxid, r.Error, r.IsOk ? ReplyBody.DataAndStat(r.Value!.Data, r.Value.Stat) : ReplyBody.None);
                    });
                    return Next.Continue;
                }

                case OpCode.SetData:
                {
                    var request = SetDataRequest.Read(ref reader);
                    var operation = new SetDataOperation(request.Path ?? "", request.Data, request.Version);
                    connection.Scheduler.Write(slot, (Dispatcher: this, Connection: connection, Caller: connection.Caller, Operation: operation), static s =>
                        s.Dispatcher.SubmitSingle(s.Connection, s.Caller, s.Operation, static r => ReplyBody.StatOnly(r.Stat!.Value)));
                    return Next.Continue;
                }

                default:
                    return DispatchOther(connection, header.Type, slot, ref reader);
            }
        }
        catch (JuteFormatException e)
        {
            // A body that cannot be decoded: MarshallingError for this request; the stream itself is
            // intact and the connection carries on. A read's comes with the current zxid; a write's
            // body is decoded by 3.8.0's PrepRequestProcessor after it took a zxid (pRequest2Txn, and
            // multi's own catch), so it goes through the write path and consumes one (found by tests/ProtocolFuzz).
            ConnectionLog.MalformedBody(_logger, connection.SessionId, header.Type, header.Xid, e.Message);
            if (header.Type is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl or OpCode.Delete
                or OpCode.SetData or OpCode.SetAcl or OpCode.Check or OpCode.Multi)
            {
                var caller = connection.Caller;
                connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.MarshallingError), static _ => ReplyBody.None));
                return Next.Continue;
            }
            return Fail(connection, slot, ErrorCode.MarshallingError);
        }
    }

    /// <summary>Every other request; a <see cref="JuteFormatException"/> is answered by <see cref="Dispatch"/>.</summary>
    private Next DispatchOther(ZkConnection connection, OpCode op, OutboundQueue.Slot slot, ref JuteReader reader)
    {
        // The ids this request is made with: those the connection holds when it is read.
        var caller = connection.Caller;
        switch (op)
        {
            case OpCode.CloseSession:
                connection.Scheduler.Write(slot, () => Closing(connection), close: true);
                return Next.Close;

            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            {
                var request = CreateRequest.Read(ref reader);
                var createOp = OperationMapping.ToTopLevelCreate(op, request.Path, request.Data, request.Acl, request.Flags, -1);
                connection.Scheduler.Write(slot, () => SubmitCreate(connection, caller, op, createOp));
                return Next.Continue;
            }

            case OpCode.CreateTtl:
            {
                // Through the write path even when extended types are off: 3.8.0 refuses a TTL node
                // (Unimplemented) in PrepRequestProcessor, after taking a zxid for it.
                var request = CreateTTLRequest.Read(ref reader);
                var createOp = OperationMapping.ToTopLevelCreate(op, request.Path, request.Data, request.Acl, request.Flags, request.Ttl);
                connection.Scheduler.Write(slot, () => SubmitCreate(connection, caller, op, createOp));
                return Next.Continue;
            }

            case OpCode.DeleteContainer:
            {
                // 3.8.0 takes the path of a deleteContainer from the whole packet, request header
                // included, so a client's request never names a valid path: BadArguments (a zxid is
                // consumed; the connection stays open). Only the reaper deletes containers.
                connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.BadArguments), static _ => ReplyBody.None));
                return Next.Continue;
            }

            case OpCode.Delete:
            {
                var request = DeleteRequest.Read(ref reader);
                connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, OperationMapping.ToDelete(request), static _ => ReplyBody.None));
                return Next.Continue;
            }

            case OpCode.SetAcl:
            {
                var request = SetACLRequest.Read(ref reader);
                connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, new SetAclOperation(request.Path ?? "", request.Acl ?? [], request.Version), static r => ReplyBody.Of(new SetACLResponse(r.Stat!.Value))));
                return Next.Continue;
            }

            case OpCode.Sync:
            {
                var request = SyncRequest.Read(ref reader);
                connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, new SyncOperation(request.Path ?? ""), _ => ReplyBody.Of(new SyncResponse(request.Path))));
                return Next.Continue;
            }

            case OpCode.Multi:
            {
                var request = MultiRequest.Read(ref reader);
                var ops = new List<WriteOperation>(request.Ops.Count);
                foreach (var item in request.Ops)
                {
                    ops.Add(OperationMapping.ToWriteOperation(item) ?? new InvalidOperation(ErrorCode.BadArguments));
                }
                if (ops.Contains(new InvalidOperation(ErrorCode.MarshallingError)))
                {
                    // TTL flags under a plain create: 3.8.0 cannot even read the multi, a bare MarshallingError.
                    connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.MarshallingError), static _ => ReplyBody.None));
                    return Next.Continue;
                }
                if (request.Ops.Any(OperationMapping.TakesParentOfNullPath))
                {
                    connection.Scheduler.Write(slot, () => SubmitUnprocessableMulti(connection, caller));
                    return Next.Continue;
                }
                connection.Scheduler.Write(slot, () => SubmitMulti(connection, caller, request, ops));
                return Next.Continue;
            }

            case OpCode.GetChildren:
            case OpCode.GetChildren2:
            {
                // GetChildrenRequest and GetChildren2Request share one layout.
                var request = GetChildrenRequest.Read(ref reader);
                string path = ReadPath(request.Path);
                MarkIfWatching(connection, slot, request.Watch);
                connection.Scheduler.Read(slot, async () =>
                {
                    var r = await _backend.GetChildrenAsync(path, request.Watch ? connection.Id : null, caller).ConfigureAwait(false);
                    IJuteRecord? response = !r.IsOk ? null
                        : r.Value!.Children is ChildNames { IsReused: true } reused ? EncodedChildrenResponse.For(reused, op == OpCode.GetChildren ? null : r.Value.Stat)
                        : op == OpCode.GetChildren ? new GetChildrenResponse(r.Value.Children)
                        : new GetChildren2Response(r.Value.Children, r.Value.Stat);
                    return new Reply(r.Zxid, r.Error, response);
                });
                return Next.Continue;
            }

            case OpCode.GetAcl:
            {
                var request = GetACLRequest.Read(ref reader);
                string path = ReadPath(request.Path);
                connection.Scheduler.Read(slot, async () =>
                {
                    var r = await _backend.GetAclAsync(path, caller).ConfigureAwait(false);
                    return new Reply(r.Zxid, r.Error, r.IsOk ? new GetACLResponse(r.Value!.Acl, r.Value.Stat) : null);
                });
                return Next.Continue;
            }

            case OpCode.GetAllChildrenNumber:
            {
                var request = GetAllChildrenNumberRequest.Read(ref reader);
                string path = ReadPath(request.Path);
                connection.Scheduler.Read(slot, async () =>
                {
                    var r = await _backend.GetAllChildrenNumberAsync(path, caller).ConfigureAwait(false);
                    return new Reply(r.Zxid, r.Error, r.IsOk ? new GetAllChildrenNumberResponse(r.Value) : null);
                });
                return Next.Continue;
            }

            case OpCode.GetEphemerals:
            {
                var request = GetEphemeralsRequest.Read(ref reader);
                connection.Scheduler.Read(slot, async () =>
                {
                    var r = await _backend.GetEphemeralsAsync(connection.SessionId, request.PrefixPath ?? "").ConfigureAwait(false);
                    return new Reply(r.Zxid, r.Error, r.IsOk ? new GetEphemeralsResponse(r.Value!) : null);
                });
                return Next.Continue;
            }

            case OpCode.SetWatches:
            case OpCode.SetWatches2:
            {
                // SetWatches2 adds the persistent and persistent recursive watches (addWatch's).
                var request = op == OpCode.SetWatches
                    ? OperationMapping.ToSetWatches2(SetWatches.Read(ref reader))
                    : SetWatches2.Read(ref reader);
                var lists = WatchListsUpToNull.Of(request, persistentListsSent: op == OpCode.SetWatches2);
                connection.Scheduler.Read(slot, async () =>
                {
                    await _backend.SetWatchesAsync(connection.Id, request.RelativeZxid, lists.Data, lists.Exist, lists.Child, lists.Persistent, lists.PersistentRecursive).ConfigureAwait(false);
                    return new Reply(_backend.LastAppliedZxid, lists.StoppedAtNull ? ErrorCode.MarshallingError : ErrorCode.Ok, null);
                });
                return Next.Continue;
            }

            case OpCode.Auth:
            {
                AuthPacket request;
                try
                {
                    request = AuthPacket.Read(ref reader);
                }
                catch (JuteFormatException)
                {
                    // As for sasl: 3.8.0 deserializes an AuthPacket in processPacket, on the I/O thread, and
                    // the IOException of an impossible length or a short body closes the connection
                    // unanswered (issue 15 item 7; fuzzer findings, regressions auth-undecodable-*).
                    connection.Outbound.CompleteWithoutReply(slot);
                    return Next.Close;
                }
                // digest with data and ip never fail (a wrong password simply matches nothing); an
                // unknown scheme or digest without data is AuthFailed and the connection is closed.
                // Auth replies carry zxid 0.
                if (_auth.TryAuthenticate(connection, request))
                {
                    connection.Outbound.Complete(slot, 0, ErrorCode.Ok, null);
                    return Next.Continue;
                }
                // 3.8.0 answers auth outside its pipeline: the AuthFailed overtakes replies still in flight.
                connection.Outbound.CompleteAheadAndClose(slot, 0, ErrorCode.AuthFailed);
                return Next.Close;
            }

            case OpCode.Check:
            {
                // A top-level check is a transaction in 3.8.0 (a zxid consumed): a failing one is answered
                // with its error; a passing one never is (FinalRequestProcessor cannot serialize its reply)
                // and the connection carries on.
                var request = CheckVersionRequest.Read(ref reader);
                var operation = new CheckOperation(request.Path ?? "", request.Version);
                connection.Scheduler.Write(slot, async () =>
                {
                    var reply = await SubmitSingle(connection, caller, operation, static _ => ReplyBody.None).ConfigureAwait(false);
                    return reply.Error == ErrorCode.Ok ? reply with { Body = ReplyBody.Unanswered } : reply;
                });
                return Next.Continue;
            }

            case OpCode.WhoAmI:
                connection.Scheduler.Read(slot, () => new ValueTask<Reply>(new Reply(_backend.LastAppliedZxid, ErrorCode.Ok, DigestAuth.WhoAmI(caller, _sasl.Settings.ProviderEnabled))));
                return Next.Continue;

            case OpCode.MultiRead:
            {
                var request = MultiRequest.ReadMultiRead(ref reader);
                connection.Scheduler.Read(slot, () => MultiReadAsync(request, caller));
                return Next.Continue;
            }

            case OpCode.AddWatch:
            {
                var request = AddWatchRequest.Read(ref reader);
                if (request.Mode is not (AddWatchMode.Persistent or AddWatchMode.PersistentRecursive))
                {
                    // 3.8.0: WatcherMode.fromZooDef throws, FinalRequestProcessor answers MarshallingError.
                    return Fail(connection, slot, ErrorCode.MarshallingError);
                }
                connection.Scheduler.Read(slot, async () =>
                {
                    long zxid = await _backend.AddWatchAsync(request.Path ?? "", request.Mode, connection.Id).ConfigureAwait(false);
                    // The Java client decodes a 4-byte ErrorResponse{0} body.
                    return new Reply(zxid, ErrorCode.Ok, new ErrorResponse(ErrorCode.Ok));
                });
                return Next.Continue;
            }

            case OpCode.CheckWatches:
            case OpCode.RemoveWatches:
            {
                var (path, type) = op == OpCode.CheckWatches
                    ? CheckWatchesRequest.Read(ref reader) is var check ? (check.Path, check.Type) : default
                    : RemoveWatchesRequest.Read(ref reader) is var remove ? (remove.Path, remove.Type) : default;
                if (type is not (WatcherType.Children or WatcherType.Data or WatcherType.Any))
                {
                    // 3.8.0 knows only types 1-3 on the server: Persistent (4), PersistentRecursive (5)
                    // and anything else fail to convert and are answered MarshallingError.
                    return Fail(connection, slot, ErrorCode.MarshallingError);
                }
                connection.Scheduler.Read(slot, () =>
                {
                    // checkWatches of "" never finds a watch in 3.8.0 (its path walk yields nothing for "").
                    bool found = op == OpCode.CheckWatches
                        ? !string.IsNullOrEmpty(path) && _backend.CheckWatches(path, type)
                        : _backend.RemoveWatches(path ?? "", type, connection.Id);
                    return new ValueTask<Reply>(new Reply(_backend.LastAppliedZxid, found ? ErrorCode.Ok : ErrorCode.NoWatcher, null));
                });
                return Next.Continue;
            }

            case OpCode.Sasl:
            {
                // GetSASLRequest{buffer token}; the reply is SetSASLResponse{buffer token} with zxid 0, also on failure.
                byte[]? token;
                try
                {
                    token = reader.ReadBuffer();
                }
                catch (JuteFormatException)
                {
                    // 3.8.0 deserializes the token in processPacket: an IOException there closes the connection, unanswered.
                    connection.Outbound.CompleteWithoutReply(slot);
                    return Next.Close;
                }
                if (token is null)
                {
                    // 3.8.0's processSasl logs clientToken.length first: a null token throws there, on the
                    // I/O thread, and the connection closes unanswered (checked on 3.8.0; regression sasl-null-token).
                    connection.Outbound.CompleteWithoutReply(slot);
                    return Next.Close;
                }
                var reply = _sasl.Evaluate(connection, token);
                connection.Outbound.Complete(slot, 0, reply.Error, new SaslToken(reply.Token), closeAfter: reply.Close);
                return reply.Close ? Next.Close : Next.Continue;
            }

            case OpCode.Reconfig:
            {
                // ReconfigRequest{ustring joiningServers; ustring leavingServers; ustring newMembers;
                // long curConfigId}: a malformed body is MarshallingError (no zxid); a well-formed one is
                // refused with ReconfigDisabled through the write path, consuming a zxid (as 3.8.0).
                _ = reader.ReadString();
                _ = reader.ReadString();
                _ = reader.ReadString();
                _ = reader.ReadLong();
                connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.ReconfigDisabled), static _ => ReplyBody.None));
                return Next.Continue;
            }

            case OpCode.CreateSession when reader.Remaining < 4:
                // A client-sent createSession enters 3.8.0's pipeline; without the 4-byte timeout its
                // PrepRequestProcessor fails to read it: MarshallingError as a transaction (a zxid consumed),
                // and the connection carries on.
                connection.Scheduler.Write(slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.MarshallingError), static _ => ReplyBody.None));
                return Next.Continue;

            case OpCode.CreateSession:
                // With its timeout, 3.8.0 commits a createSession transaction for the session it already
                // has (a zxid consumed, the timeout ignored) and its finishSessionInit sends the
                // handshake's ConnectResponse again, as a frame without a reply header.
                _ = reader.ReadInt();
                connection.Scheduler.Write(slot, async () =>
                {
                    var result = await _backend.SubmitAsync(connection.SessionId, new InvalidOperation(ErrorCode.Ok), caller).ConfigureAwait(false);
                    return new Reply(result.Zxid, ErrorCode.Ok, ReplyBody.Headerless(connection.Handshake));
                });
                return Next.Continue;

            default:
                // Unknown opcodes: Unimplemented with zxid -1, then close, from 3.8.0's I/O thread
                // (submitRequestNow's UnimplementedRequestProcessor): replies still in flight are lost.
                connection.Outbound.CompleteAheadAndClose(slot, -1, ErrorCode.Unimplemented);
                return Next.Close;
        }
    }

    /// <summary>
    /// A read's path: 3.8.0's FinalRequestProcessor looks a null one up and fails with a
    /// NullPointerException, answered as MarshallingError (the connection carries on).
    /// </summary>
    private static string ReadPath(string? path) => path ?? throw new JuteFormatException("null path in a read");

    private Next Fail(ZkConnection connection, OutboundQueue.Slot slot, ErrorCode error)
    {
        // Keep FIFO order with respect to pending work: the failure is answered in its turn.
        connection.Scheduler.Read(slot, () => new ValueTask<Reply>(new Reply(_backend.LastAppliedZxid, error, null)));
        return Next.Continue;
    }

    /// <summary>A read that sets a watch holds back the events that reach it until its reply is placed (OutboundQueue).</summary>
    private static void MarkIfWatching(ZkConnection connection, OutboundQueue.Slot slot, bool watch)
    {
        if (watch)
        {
            connection.Outbound.MarkSetsWatch(slot);
        }
    }
}
