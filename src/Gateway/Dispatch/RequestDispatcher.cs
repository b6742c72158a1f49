using ZkGateway.Backend;
using ZkGateway.Backend.Functions;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>
/// Turns one request frame into backend calls and a reply in the connection's outbound queue: one
/// switch on the opcode (zetcd's DispatchZK, Garnet's ProcessBasicCommands).
/// <para>
/// Ordering (ZooKeeper's FIFO client order): the reply slot is reserved now, in request order. A read
/// runs once the previous request has completed, so it sees the session's earlier writes; a write
/// enters the writer queue once the previous request has started (a read completed, a write
/// submitted), so it never overtakes an earlier read. When nothing is pending, both run inline.
/// </para>
/// </summary>
public sealed class RequestDispatcher
{
    private readonly IZkBackend _backend;
    private readonly GatewayOptions _options;

    public RequestDispatcher(IZkBackend backend, GatewayOptions options)
    {
        _backend = backend;
        _options = options;
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
        var slot = connection.Outbound.Reserve(header.Xid, (int)header.Type);
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
                    Read(connection, slot, _backend, static backend => new ValueTask<Reply>(new Reply(backend.LastAppliedZxid, ErrorCode.Ok, ReplyBody.None)));
                    return Next.Continue;

                case OpCode.Exists:
                {
                    var request = ExistsRequest.Read(ref reader);
                    Read(connection, slot, (Backend: _backend, Path: request.Path ?? "", Watcher: request.Watch ? connection.Id : (long?)null, Caller: connection.Caller), static async s =>
                    {
                        var r = await s.Backend.ExistsAsync(s.Path, s.Watcher, s.Caller).ConfigureAwait(false);
                        return new Reply(r.Zxid, r.Error, r.IsOk ? ReplyBody.StatOnly(r.Value) : ReplyBody.None);
                    });
                    return Next.Continue;
                }

                case OpCode.GetData:
                {
                    var request = GetDataRequest.Read(ref reader);
                    Read(connection, slot, (Backend: _backend, Path: request.Path ?? "", Watcher: request.Watch ? connection.Id : (long?)null, Caller: connection.Caller), static async s =>
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
                    Write(connection, slot, (Dispatcher: this, Connection: connection, Caller: connection.Caller, Operation: operation), static s =>
                        s.Dispatcher.SubmitSingle(s.Connection, s.Caller, s.Operation, static r => ReplyBody.StatOnly(r.Stat!.Value)));
                    return Next.Continue;
                }

                default:
                    return DispatchOther(connection, header.Type, slot, ref reader);
            }
        }
        catch (JuteFormatException)
        {
            // A body that cannot be decoded: MarshallingError for this request, with the current zxid
            // (none is consumed, as in ZooKeeper 3.8.0); the stream itself is intact and the
            // connection carries on.
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
                Write(connection, slot, () => Closing(connection), close: true);
                return Next.Close;

            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            {
                var request = CreateRequest.Read(ref reader);
                var createOp = ToTopLevelCreate(op, request.Path, request.Data, request.Acl, request.Flags, -1);
                Write(connection, slot, () => SubmitCreate(connection, caller, op, createOp));
                return Next.Continue;
            }

            case OpCode.CreateTtl:
            {
                // Through the write path even when extended types are off: 3.8.0 refuses a TTL node
                // (Unimplemented) in PrepRequestProcessor, after taking a zxid for it.
                var request = CreateTTLRequest.Read(ref reader);
                var createOp = ToTopLevelCreate(op, request.Path, request.Data, request.Acl, request.Flags, request.Ttl);
                Write(connection, slot, () => SubmitCreate(connection, caller, op, createOp));
                return Next.Continue;
            }

            case OpCode.DeleteContainer:
            {
                // 3.8.0 takes the path of a deleteContainer from the whole packet, request header
                // included, so a client's request never names a valid path: BadArguments (a zxid is
                // consumed; the connection stays open). Only the reaper deletes containers.
                Write(connection, slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.BadArguments), static _ => ReplyBody.None));
                return Next.Continue;
            }

            case OpCode.Delete:
            {
                var request = DeleteRequest.Read(ref reader);
                Write(connection, slot, () => SubmitSingle(connection, caller, new DeleteOperation(request.Path ?? "", request.Version), static _ => ReplyBody.None));
                return Next.Continue;
            }

            case OpCode.SetAcl:
            {
                var request = SetACLRequest.Read(ref reader);
                Write(connection, slot, () => SubmitSingle(connection, caller, new SetAclOperation(request.Path ?? "", request.Acl ?? [], request.Version), static r => ReplyBody.Of(new SetACLResponse(r.Stat!.Value))));
                return Next.Continue;
            }

            case OpCode.Sync:
            {
                var request = SyncRequest.Read(ref reader);
                Write(connection, slot, () => SubmitSingle(connection, caller, new SyncOperation(request.Path ?? ""), _ => ReplyBody.Of(new SyncResponse(request.Path))));
                return Next.Continue;
            }

            case OpCode.Multi:
            {
                var request = MultiRequest.Read(ref reader);
                var ops = new List<WriteOperation>(request.Ops.Count);
                foreach (var item in request.Ops)
                {
                    ops.Add(ToWriteOperation(item) ?? new InvalidOperation(ErrorCode.BadArguments));
                }
                if (ops.Contains(new InvalidOperation(ErrorCode.MarshallingError)))
                {
                    Write(connection, slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.MarshallingError), static _ => ReplyBody.None));
                    return Next.Continue;
                }
                Write(connection, slot, () => SubmitMulti(connection, caller, request, ops));
                return Next.Continue;
            }

            case OpCode.GetChildren:
            case OpCode.GetChildren2:
            {
                // GetChildrenRequest and GetChildren2Request share one layout.
                var request = GetChildrenRequest.Read(ref reader);
                Read(connection, slot, async () =>
                {
                    var r = await _backend.GetChildrenAsync(request.Path ?? "", request.Watch ? connection.Id : null, caller).ConfigureAwait(false);
                    IJuteRecord? response = !r.IsOk ? null
                        : op == OpCode.GetChildren ? new GetChildrenResponse(r.Value!.Children)
                        : new GetChildren2Response(r.Value!.Children, r.Value.Stat);
                    return new Reply(r.Zxid, r.Error, response);
                });
                return Next.Continue;
            }

            case OpCode.GetAcl:
            {
                var request = GetACLRequest.Read(ref reader);
                Read(connection, slot, async () =>
                {
                    var r = await _backend.GetAclAsync(request.Path ?? "", caller).ConfigureAwait(false);
                    return new Reply(r.Zxid, r.Error, r.IsOk ? new GetACLResponse(r.Value!.Acl, r.Value.Stat) : null);
                });
                return Next.Continue;
            }

            case OpCode.GetAllChildrenNumber:
            {
                var request = GetAllChildrenNumberRequest.Read(ref reader);
                Read(connection, slot, async () =>
                {
                    var r = await _backend.GetAllChildrenNumberAsync(request.Path ?? "", caller).ConfigureAwait(false);
                    return new Reply(r.Zxid, r.Error, r.IsOk ? new GetAllChildrenNumberResponse(r.Value) : null);
                });
                return Next.Continue;
            }

            case OpCode.GetEphemerals:
            {
                var request = GetEphemeralsRequest.Read(ref reader);
                Read(connection, slot, async () =>
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
                    ? ToSetWatches2(SetWatches.Read(ref reader))
                    : SetWatches2.Read(ref reader);
                Read(connection, slot, async () =>
                {
                    await _backend.SetWatchesAsync(connection.Id, request.RelativeZxid, request.DataWatches ?? [], request.ExistWatches ?? [], request.ChildWatches ?? [], request.PersistentWatches, request.PersistentRecursiveWatches).ConfigureAwait(false);
                    return new Reply(_backend.LastAppliedZxid, ErrorCode.Ok, null);
                });
                return Next.Continue;
            }

            case OpCode.Auth:
            {
                var request = AuthPacket.Read(ref reader);
                // digest never fails (a wrong password simply matches nothing); an unknown scheme is
                // AuthFailed and the connection is closed. Auth replies carry zxid 0.
                if (request.Scheme == "digest")
                {
                    // DigestAuthenticationProvider.handleAuthentication: super first (when the digest
                    // is the configured superDigest), then the digest id itself.
                    string digest = AclRules.Digest(System.Text.Encoding.UTF8.GetString(request.Auth ?? []));
                    if (_options.Raw.TryGetValue(ZooCfg.Keys.SuperDigest, out var superDigest) && superDigest == digest)
                    {
                        connection.AddAuth(new Id("super", ""));
                    }
                    connection.AddAuth(new Id("digest", digest));
                    connection.Outbound.Complete(slot, 0, ErrorCode.Ok, null);
                    return Next.Continue;
                }
                connection.Outbound.Complete(slot, 0, ErrorCode.AuthFailed, null, closeAfter: true);
                return Next.Close;
            }

            case OpCode.Check:
                // check exists only inside multi. ZooKeeper 3.8.0 never answers a top-level check (the
                // client waits until its timeout); later versions answer Unimplemented and close. We
                // give the clear answer (docs/compatibility.md).
                connection.Outbound.Complete(slot, -1, ErrorCode.Unimplemented, null, closeAfter: true);
                return Next.Close;

            case OpCode.WhoAmI:
                Read(connection, slot, () => new ValueTask<Reply>(new Reply(_backend.LastAppliedZxid, ErrorCode.Ok, WhoAmI(caller))));
                return Next.Continue;

            case OpCode.MultiRead:
            {
                var request = MultiRequest.ReadMultiRead(ref reader);
                Read(connection, slot, () => MultiReadAsync(request, caller));
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
                Read(connection, slot, async () =>
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
                Read(connection, slot, () =>
                {
                    bool found = op == OpCode.CheckWatches
                        ? _backend.CheckWatches(path ?? "", type)
                        : _backend.RemoveWatches(path ?? "", type, connection.Id);
                    return new ValueTask<Reply>(new Reply(_backend.LastAppliedZxid, found ? ErrorCode.Ok : ErrorCode.NoWatcher, null));
                });
                return Next.Continue;
            }

            case OpCode.Sasl:
                // Standalone 3.8.0 without SASL configured: (xid, zxid 0, Ok) and a null token, whatever was sent.
                connection.Outbound.Complete(slot, 0, ErrorCode.Ok, NullSaslToken.Instance);
                return Next.Continue;

            case OpCode.Reconfig:
            {
                // ReconfigRequest{ustring joiningServers; ustring leavingServers; ustring newMembers;
                // long curConfigId}: a malformed body is MarshallingError (no zxid); a well-formed one is
                // refused with ReconfigDisabled through the write path, consuming a zxid (as 3.8.0).
                _ = reader.ReadString();
                _ = reader.ReadString();
                _ = reader.ReadString();
                _ = reader.ReadLong();
                Write(connection, slot, () => SubmitSingle(connection, caller, new InvalidOperation(ErrorCode.ReconfigDisabled), static _ => ReplyBody.None));
                return Next.Continue;
            }

            default:
                // Unknown opcodes: Unimplemented with zxid -1, then close (as ZooKeeper 3.8.0 answers).
                connection.Outbound.Complete(slot, -1, ErrorCode.Unimplemented, null, closeAfter: true);
                return Next.Close;
        }
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

    /// <summary>The sasl reply of a server without SASL: a null token (buffer length -1).</summary>
    private sealed class NullSaslToken : IJuteRecord
    {
        public static readonly NullSaslToken Instance = new();

        public void Write(ref JuteWriter writer) => writer.WriteBuffer((byte[]?)null);
    }

    private Next Fail(ZkConnection connection, OutboundQueue.Slot slot, ErrorCode error)
    {
        // Keep FIFO order with respect to pending work: the failure is answered in its turn.
        Read(connection, slot, () => new ValueTask<Reply>(new Reply(_backend.LastAppliedZxid, error, null)));
        return Next.Continue;
    }

    private readonly record struct Reply(long Zxid, ErrorCode Error, ReplyBody Body)
    {
        public Reply(long zxid, ErrorCode error, IJuteRecord? body)
            : this(zxid, error, ReplyBody.Of(body))
        {
        }
    }

    private static void Read(ZkConnection connection, OutboundQueue.Slot slot, Func<ValueTask<Reply>> run) =>
        Read(connection, slot, run, static run => run());

    /// <summary>
    /// Runs a read in its turn. The state-passing form lets the hot reads use a static lambda: when the
    /// previous request has completed and the backend answers at once, nothing is allocated here.
    /// </summary>
    private static void Read<TState>(ZkConnection connection, OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> run)
    {
        var previous = connection.PreviousCompleted;
        Task done = previous.IsCompleted ? RunNow(connection, slot, state, run) : RunAfter(previous, connection, slot, state, run);
        connection.PreviousCompleted = done;
        connection.PreviousStarted = done;
    }

    private static Task RunNow<TState>(ZkConnection connection, OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> run)
    {
        var pending = run(state);
        if (pending.IsCompletedSuccessfully)
        {
            var reply = pending.Result;
            connection.Outbound.Complete(slot, reply.Zxid, reply.Error, reply.Body);
            return Task.CompletedTask;
        }
        return Finish(pending, connection, slot);
    }

    private static async Task RunAfter<TState>(Task previous, ZkConnection connection, OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> run)
    {
        await previous.ConfigureAwait(false);
        await Finish(run(state), connection, slot).ConfigureAwait(false);
    }

    private static async Task Finish(ValueTask<Reply> pending, ZkConnection connection, OutboundQueue.Slot slot, bool close = false)
    {
        Reply reply;
        try
        {
            reply = await pending.ConfigureAwait(false);
        }
        catch (Exception)
        {
            reply = new Reply(0, ErrorCode.SystemError, ReplyBody.None);
        }
        connection.Outbound.Complete(slot, reply.Zxid, reply.Error, reply.Body, close);
    }

    private static void Write(ZkConnection connection, OutboundQueue.Slot slot, Func<ValueTask<Reply>> submit, bool close = false) =>
        Write(connection, slot, submit, static submit => submit(), close);

    /// <summary>
    /// Submits a write in its turn: at once when the previous request has started, else once it has.
    /// The state-passing form lets the hot writes use a static lambda (no closure on the direct path).
    /// </summary>
    private static void Write<TState>(ZkConnection connection, OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> submit, bool close = false)
    {
        var previousStarted = connection.PreviousStarted;
        ValueTask<Reply> result;
        Task submitted;
        if (previousStarted.IsCompleted)
        {
            connection.Outbound.MarkSubmitted(slot);
            result = submit(state);
            submitted = Task.CompletedTask;
        }
        else
        {
            (result, submitted) = SubmitWhenStarted(previousStarted, connection, slot, state, submit);
        }
        connection.PreviousStarted = submitted;
        connection.PreviousCompleted = Finish(result, connection, slot, close);
    }

    // Apart from Write: its lambda's closure would otherwise be allocated on every call, direct ones too.
    private static (ValueTask<Reply> Result, Task Submitted) SubmitWhenStarted<TState>(Task previousStarted, ZkConnection connection, OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> submit)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var result = SubmitAfter(previousStarted, gate, () =>
        {
            connection.Outbound.MarkSubmitted(slot);
            return submit(state);
        });
        return (new ValueTask<Reply>(result), gate.Task);
    }

    private static async Task<Reply> SubmitAfter(Task previous, TaskCompletionSource gate, Func<ValueTask<Reply>> submit)
    {
        await previous.ConfigureAwait(false);
        ValueTask<Reply> result;
        try
        {
            result = submit();
        }
        finally
        {
            gate.TrySetResult();
        }
        return await result.ConfigureAwait(false);
    }

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
            var type = request.Ops[i].Type;
            // ZooKeeper 3.8 picks a create's result type from its mode, not its opcode: containers and
            // TTL nodes come back as create2 (with the Stat), everything else as a plain create (path
            // only), even for an op-15 create2 (checked against 3.8.0). kazoo and go-zk parse only type 1.
            results.Add(type switch
            {
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl when IsContainerOrTtl(ops[i]) => MultiResult.Create2(outcome.Path!, outcome.Stat!.Value),
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => MultiResult.Create(outcome.Path!),
                OpCode.SetData => MultiResult.SetData(outcome.Stat!.Value),
                OpCode.Delete => MultiResult.Delete(),
                _ => MultiResult.Check(),
            });
        }
        return new Reply(result.Zxid, ErrorCode.Ok, new MultiResponse(results));
    }

    /// <summary>
    /// A top-level create, as ZooKeeper 3.8.0 treats it (checked by running it): the node kind follows
    /// the opcode. createContainer (19) makes a container whatever its non-TTL flags (2 and 3 still add
    /// the sequential suffix); create/create2 with flags 4 make a plain persistent node; createTTL (21)
    /// with a non-TTL mode is BadArguments (3.8.0 itself crashes on one with a negative ttl, see
    /// docs/compatibility.md). Invalid flags are BadArguments. Every refusal goes through the write path,
    /// where ZooKeeper refuses it too, so it consumes a zxid.
    /// </summary>
    private static WriteOperation ToTopLevelCreate(OpCode op, string? path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode, long ttl)
    {
        if (!mode.IsValid() || (op == OpCode.CreateTtl && !mode.IsTtl()))
        {
            return new InvalidOperation(ErrorCode.BadArguments);
        }
        if (mode.IsTtl())
        {
            // The writer checks extended types (Unimplemented) before the ttl (BadArguments: op 1, 15 and 19 carry none).
            return new CreateOperation(path ?? "", data, acl ?? [], mode, op == OpCode.CreateTtl ? ttl : -1);
        }
        return op == OpCode.CreateContainer
            ? new CreateOperation(path ?? "", data, acl ?? [], mode, AsContainer: true)
            : new CreateOperation(path ?? "", data, acl ?? [], mode == CreateMode.Container ? CreateMode.Persistent : mode);
    }

    /// <summary>
    /// A create inside a multi. 3.8.0 rebuilds each op from its flags (Op.create), so there the kind
    /// follows the flags, not the opcode: flags 4 make a container under op 1, 15 or 19; op 19 with
    /// flags 0 makes a persistent node; op 21 with a non-TTL mode makes a node of that mode and ignores
    /// its ttl. TTL flags under op 1, 15 or 19 are a MarshallingError: 3.8.0 cannot process such a multi
    /// at all and answers it with a bare MarshallingError header (a zxid consumed).
    /// </summary>
    private static WriteOperation ToMultiCreate(OpCode op, string? path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode, long ttl)
    {
        if (!mode.IsValid())
        {
            return new InvalidOperation(ErrorCode.BadArguments);
        }
        if (mode.IsTtl() && op != OpCode.CreateTtl)
        {
            return new InvalidOperation(ErrorCode.MarshallingError);
        }
        return new CreateOperation(path ?? "", data, acl ?? [], mode, mode.IsTtl() ? ttl : -1);
    }

    /// <summary>AuthUtil.getClientInfos: one entry per id in the order they were added; digest shows the user name.</summary>
    private static WhoAmIResponse WhoAmI(CallerIdentity caller) =>
        new([.. caller.Ids.Select(id => new ClientInfo(id.Scheme, id.Scheme == "digest" ? id.Ident.Split(':')[0] : id.Ident))]);

    private static bool IsContainerOrTtl(WriteOperation operation) =>
        operation is CreateOperation { IsContainer: true } or CreateOperation { Mode: CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl };

    private static SetWatches2 ToSetWatches2(SetWatches request) =>
        new(request.RelativeZxid, request.DataWatches, request.ExistWatches, request.ChildWatches, null, null);

    private static WriteOperation? ToWriteOperation(MultiOp op) => op.Record switch
    {
        CreateRequest c => ToMultiCreate(op.Type, c.Path, c.Data, c.Acl, c.Flags, -1),
        CreateTTLRequest t => ToMultiCreate(op.Type, t.Path, t.Data, t.Acl, t.Flags, t.Ttl),
        DeleteRequest d => new DeleteOperation(d.Path ?? "", d.Version),
        CheckVersionRequest c => new CheckOperation(c.Path ?? "", c.Version),
        SetDataRequest s => new SetDataOperation(s.Path ?? "", s.Data, s.Version),
        _ => null,
    };
}
