using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using static ZkGateway.Compat.Differential.AclSet;
using static ZkGateway.Jute.Protocol.CreateMode;

namespace ZkGateway.Compat.Differential;

/// <summary>
/// Hand-written sequences, one per case: every check-order case of zookeeper-protocol.md §4 and every
/// client-reachable pitfall of §11, each run against ZooKeeper 3.8.0 and the gateway and compared.
/// <para>
/// Not here because the op model cannot express them (they are in tests/Compat/Protocol): readOnly echo and
/// resume (handshake), TCP close vs session end, 4lw formats, frames over 1 MB, a top-level check (op 13:
/// a passing one is never answered, see tests/ProtocolFuzz).
/// </para>
/// </summary>
public static class CuratedCases
{
    private static byte[] Bytes(IJuteRecord record)
    {
        var buffer = new FrameBuffer();
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        record.Write(ref writer);
        buffer.EndFrame();
        return buffer.WrittenSpan[4..].ToArray();
    }

    public static readonly IReadOnlyDictionary<string, Sequence> All = new Dictionary<string, Sequence>
    {
        // ---- §4 create: TTL gating → BadArguments(path) → InvalidACL → parent NoNode → NoAuth → suffix → validatePath → NodeExists → NoChildrenForEphemerals
        ["create_ttl_op_is_unimplemented_when_extended_types_are_off"] = new(2, [
            new RawOp(0, (int)OpCode.CreateTtl, Bytes(new CreateTTLRequest("/nonexistent-ttl-parent/x", [], Jute.Data.Acl.OpenAclUnsafe, PersistentWithTtl, 1000))),
            new Exists(1, "/T"),
        ]),
        ["create_ttl_mode_with_op_1"] = new(1, [
            new Create(0, "/T/ttl", "", Open, PersistentWithTtl),
            new Create(0, "/T/ttl2", "", Open, PersistentWithTtl, true),
            new Exists(0, "/T/ttl"),
        ]),
        ["create_bad_path_before_invalid_acl_and_no_parent"] = new(1, [
            new Create(0, "noslash", "", Empty),
            new Create(0, "/T/missing/a\0b", "", Empty),
            new Create(0, "", "", Open),
        ]),
        ["create_invalid_acl_before_missing_parent"] = new(1, [
            new Create(0, "/T/missing/x", "", Empty),
            new Create(0, "/T/missing/x", "", BadScheme),
            new Create(0, "/T/missing/x", "", CreatorAll),
            new Create(0, "/T/missing/x", "", Open),
        ]),
        ["create_missing_parent_before_validate_path"] = new(1, [
            new Create(0, "/T/missing/."),
            new Create(0, "/T/a//b"),
            new Create(0, "/T/a/"),
            new Create(0, "/T/."),
            new Create(0, "/T/x/"),
        ]),
        ["create_no_auth_before_validate_path_and_node_exists"] = new(2, [
            new Create(0, "/T/ro"),
            new Create(0, "/T/ro/child"),
            new SetAcl(0, "/T/ro", ReadOnly, 0),
            new Create(1, "/T/ro/child"),
            new Create(1, "/T/ro/."),
            new Create(1, "/T/ro/new"),
            new GetChildren(1, "/T/ro", false, true),
        ]),
        ["create_sequential_suffix_is_appended_before_validate_path"] = new(1, [
            new Create(0, "/T/a"),
            new Create(0, "/T/a/", "x", Open, PersistentSequential),
            new Create(0, "/T/a/", "y", Open, PersistentSequential, true),
            new GetChildren(0, "/T/a", false, true),
        ]),
        ["create_node_exists_and_no_children_for_ephemerals"] = new(2, [
            new Create(0, "/T/e", "", Open, Ephemeral),
            new Create(1, "/T/e"),
            new Create(1, "/T/e/x"),
            new Create(1, "/T/e/x", "", Empty),
            new Create(1, "/T/e/", "", Open, PersistentSequential),
        ]),
        ["create_creator_all_acl_expands_to_digest_ids_only"] = new(2, [
            new AddAuth(0, "digest", Acls.AlicePassword),
            new AddAuth(0, "digest", Acls.BobPassword),
            new Create(0, "/T/c", "secret", CreatorAll),
            new GetAcl(0, "/T/c"),
            new GetData(1, "/T/c"),
            new GetAcl(1, "/T/c"),
            new Create(1, "/T/d", "", CreatorAll),
        ]),

        // ---- §4 delete: BadArguments → parent NoNode → NoAuth (DELETE on parent) → NoNode → BadVersion → NotEmpty
        ["delete_reserved_and_malformed_paths"] = new(1, [
            new Delete(0, "/zookeeper"),
            new Delete(0, "/zookeeper/config"),
            new Delete(0, "/zookeeper/quota"),
            new Delete(0, "/"),
            new Delete(0, "/T/a\0b"),
            new Delete(0, "/T/missing/x"),
        ]),
        ["delete_no_auth_on_parent_before_no_node"] = new(1, [
            new Create(0, "/T/p", "", AnyoneCreateRead),
            new Create(0, "/T/p/c"),
            new Delete(0, "/T/p/missing"),
            new Delete(0, "/T/p/c", 7),
            new Delete(0, "/T/p/c"),
        ]),
        ["delete_bad_version_before_not_empty"] = new(1, [
            new Create(0, "/T/a"),
            new Create(0, "/T/a/c"),
            new Delete(0, "/T/a", 3),
            new Delete(0, "/T/a", 0),
            new Delete(0, "/T/a", -1),
            new Delete(0, "/T/a/c", 0),
            new Delete(0, "/T/a", 0),
            new Delete(0, "/T/a"),
        ]),

        // ---- §4 setData: BadArguments → NoNode → NoAuth (WRITE) → BadVersion
        ["set_data_check_order"] = new(1, [
            new SetData(0, "/T/a\0b", "x"),
            new SetData(0, "/T/missing", "x", 9),
            new Create(0, "/T/ro", "", ReadOnly),
            new SetData(0, "/T/ro", "x", 9),
            new Create(0, "/T/a"),
            new SetData(0, "/T/a", "x", 9),
            new SetData(0, "/T/a", "x", 0),
            new SetData(0, "/T/a", null, 1),
            new SetData(0, "/T/a", "y", -1),
            new GetData(0, "/T/a"),
        ]),

        // ---- §4 setACL: BadArguments → InvalidACL → NoNode → NoAuth (ADMIN) → BadVersion against aversion
        ["set_acl_check_order_and_only_aversion_changes"] = new(2, [
            new SetAcl(0, "/T/a\0b", Empty),
            new SetAcl(0, "/T/missing", Empty),
            new SetAcl(0, "/T/missing", Open, 4),
            new Create(0, "/T/alice", "", AliceAll),
            new SetAcl(0, "/T/alice", Open, 4),
            new Create(0, "/T/a"),
            new SetAcl(0, "/T/a", Open, 4),
            new SetAcl(0, "/T/a", AnyoneCreateRead, 0),
            new SetAcl(0, "/T/a", Open, 0),
            new SetAcl(0, "/T/a", Open, 1),
            new GetAcl(1, "/T/a"),
            new Exists(1, "/T/a", true),
            new SetAcl(0, "/T/a", ReadOnly, -1),
        ]),

        // ---- §4 check (in multi): BadArguments → NoNode → NoAuth (READ) → BadVersion
        ["multi_check_check_order"] = new(1, [
            new Create(0, "/T/a"),
            new Create(0, "/T/alice", "", AliceAll),
            new Multi(0, [new MCheck("/T/a\0b", 0)]),
            new Multi(0, [new MCheck("/T/missing", 0)]),
            new Multi(0, [new MCheck("/T/alice", 5)]),
            new Multi(0, [new MCheck("/T/a", 5)]),
            new Multi(0, [new MCheck("/T/a", 0), new MCheck("/T/a", -1)]),
        ]),

        // ---- §4 reads: NoNode then NoAuth (READ); exists checks no ACL; getACL needs READ or ADMIN
        ["reads_no_node_then_no_auth"] = new(2, [
            new Create(0, "/T/alice", "s", AliceAll),
            new Create(0, "/T/alice/c"),
            new GetData(1, "/T/missing"),
            new GetData(1, "/T/alice"),
            new GetChildren(1, "/T/alice"),
            new GetChildren(1, "/T/alice", false, true),
            new Exists(1, "/T/alice"),
            new Exists(1, "/T/a\0b"),
            new GetAcl(1, "/T/alice"),
            new AllChildrenNumber(1, "/T/alice"),
            new AllChildrenNumber(1, "/T/missing"),
            new MultiRead(1, [new ReadSub("/T/alice", false), new ReadSub("/T/alice", true), new ReadSub("/T/missing", false), new ReadSub("/T", true)]),
            new AddAuth(1, "digest", Acls.AlicePassword),
            new GetData(1, "/T/alice"),
            new GetAcl(1, "/T/alice"),
        ]),
        ["get_acl_masks_digest_ids_without_admin"] = new(2, [
            new Create(0, "/T/m", "", AnyoneReadAliceAll),
            new GetAcl(1, "/T/m"),
            new AddAuth(1, "digest", Acls.BobPassword),
            new GetAcl(1, "/T/m"),
            new Create(0, "/T/b", "", BobReadAdmin),
            new GetAcl(0, "/T/b"),
            new GetAcl(1, "/T/b"),
            new AddAuth(0, "digest", "super:" + Infrastructure.CompatSettings.SuperPassword),
            new GetAcl(0, "/T/m"),
            new WhoAmI(0),
            new WhoAmI(1),
        ]),
        ["malformed_read_paths_give_no_node"] = new(1, [
            new GetData(0, "/T/"),
            new GetData(0, "noslash"),
            new GetChildren(0, "/T//x"),
            new Exists(0, "/T/."),
            new GetAcl(0, "/T/"),
            new Sync(0, "/T/missing"),
        ]),

        // ---- §11 pitfalls reachable from a client
        ["pitfall_replies_in_order_xids_echoed_auth_included"] = new(1, [
            new AddAuth(0, "digest", Acls.AlicePassword),
            new Exists(0, "/T"),
            new AddAuth(0, "digest", "bad:pw"),
            new WhoAmI(0),
        ]),
        ["pitfall_auth_with_an_unknown_scheme_fails_and_closes"] = new(2, [
            new AddAuth(0, "nosuchscheme", "x"),
            new Exists(0, "/T"),
            new Exists(1, "/T"),
        ]),
        ["pitfall_no_body_on_error_except_multi_and_add_watch"] = new(1, [
            new GetData(0, "/T/missing"),
            new AddWatch(0, "/T/missing", false),
            new Multi(0, [new MCreate("/T/a"), new MSetData("/T/a", "x", 3), new MCreate("/T/b")]),
            new Exists(0, "/T/a"),
            new RemoveWatches(0, "/T/none", WatcherType.Any),
            new CheckWatches(0, "/T/none", WatcherType.Data),
        ]),
        ["pitfall_failed_writes_consume_a_zxid"] = new(1, [
            new Create(0, "/T/a"),
            new Create(0, "/T/a"),
            new Delete(0, "/T/missing"),
            new SetData(0, "/T/a", "x", 9),
            new Multi(0, [new MCreate("/T/a")]),
            new Create(0, "/T/b"),
            new GetChildren(0, "/T", false, true),
        ]),
        ["pitfall_sequence_numbers_and_cversion_from_the_creation_counter"] = new(2, [
            new Create(0, "/T/s-", "", Open, PersistentSequential),
            new Create(0, "/T/s-", "", Open, PersistentSequential),
            new Create(1, "/T/e-", "", Open, EphemeralSequential),
            new Create(0, "/T/s-0000000000"),
            new Delete(0, "/T/s-0000000000"),
            new Create(0, "/T/x", "", Open),
            new Create(0, "/T/s-", "", Open, PersistentSequential, true),
            new CloseSession(1),
            new GetChildren(0, "/T", false, true),
            new Multi(0, [new MCreate("/T/m-", "", Open, PersistentSequential), new MCreate("/T/m-", "", Open, PersistentSequential), new MCheck("/T", 99)]),
            new Multi(0, [new MCreate("/T/m-", "", Open, PersistentSequential), new MCreate("/T/m-", "", Open, EphemeralSequential)]),
            new GetChildren(0, "/T", false, true),
        ]),
        ["pitfall_multi_result_types_mirror_the_mode"] = new(1, [
            new Multi(0, [new MCreate("/T/a"), new MCreate("/T/b", "", Open, Persistent, true), new MCreate("/T/b/s", "", Open, PersistentSequential, true), new MSetData("/T/a", "x"), new MCheck("/T/a", 1), new MDelete("/T/b/s0000000000")]),
            new Multi(0, []),
            new MultiRead(0, []),
            new GetChildren(0, "/T/b"),
        ]),
        ["pitfall_zookeeper_config_present_and_empty"] = new(1, [
            new GetData(0, "/zookeeper/config"),
            new GetAcl(0, "/zookeeper/config"),
            new GetChildren(0, "/zookeeper"),
            new SetData(0, "/zookeeper/config", "x"),
        ]),
        ["pitfall_unknown_opcode_is_unimplemented_then_close"] = new(2, [
            new RawOp(0, 999, []),
            new Exists(0, "/T"),
            new Exists(1, "/T"),
        ]),
        ["undecodable_body_is_marshalling_error_and_stays_open"] = new(1, [
            new RawOp(0, (int)OpCode.GetData, [0, 0]),
            new RawOp(0, (int)OpCode.AddWatch, Bytes(new AddWatchRequest("/", (AddWatchMode)2))),
            new CheckWatches(0, "/T", WatcherType.Persistent),
            new RemoveWatches(0, "/T", WatcherType.PersistentRecursive),
            new Exists(0, "/T"),
        ]),
        ["empty_data"] = new(1, [
            new Create(0, "/T/e", ""),
            new GetData(0, "/T/e"),
            new Multi(0, [new MCreate("/T/m", ""), new MSetData("/T/e", "")]),
            new MultiRead(0, [new ReadSub("/T/m", false), new ReadSub("/T/e", false)]),
        ]),

        // Containers (createContainer, op 19) show ephemeralOwner 0 in every Stat, although both servers mark
        // them internally (3.8.0: DataNode.copyStat hides the marker).
        ["container_stats_hide_the_marker_owner"] = new(1, [
            new Create(0, "/T/c", "x", Open, Container),
            new Exists(0, "/T/c"),
            new SetData(0, "/T/c", "y"),
            new GetData(0, "/T/c"),
            new Create(0, "/T/c/k"),
            new GetChildren(0, "/T/c", false, true),
            new SetAcl(0, "/T/c", Open, 0),
            new Multi(0, [new MSetData("/T/c", "z"), new MCreate("/T/d", "", Open, Container)]),
            new MultiRead(0, [new ReadSub("/T/c", false), new ReadSub("/T/d", false)]),
        ]),

        // ---- watches (§5): order relative to replies, one frame per path per trigger, 3.8.0 quirks
        ["watch_events_come_before_the_reply_that_shows_the_change"] = new(2, [
            new Exists(1, "/T/a", true),
            new GetChildren(1, "/T", true),
            new Create(0, "/T/a", "v"),
            new GetData(1, "/T/a", true),
            new SetData(0, "/T/a", "w"),
            new GetData(1, "/T/a", true),
            new Exists(1, "/T/a", true),
            new GetChildren(1, "/T/a", true),
            new Delete(0, "/T/a"),
            new Exists(1, "/T/a"),
        ]),
        ["watch_persistent_and_recursive"] = new(2, [
            new AddWatch(1, "/T/a", false),
            new AddWatch(1, "/T", true),
            new Create(0, "/T/a"),
            new Create(0, "/T/a/c"),
            new SetData(0, "/T/a/c", "x"),
            new GetData(1, "/T/a", true),
            new SetData(0, "/T/a", "x"),
            new SetData(0, "/T/a", "y"),
            new Delete(0, "/T/a/c"),
            new RemoveWatches(1, "/T/a", WatcherType.Data),
            new Create(0, "/T/a/d"),
            new CheckWatches(0, "/T/a", WatcherType.Children),
            new RemoveWatches(0, "/T/a", WatcherType.Children),
            new RemoveWatches(1, "/T/a", WatcherType.Any),
            new Delete(0, "/T/a/d"),
        ]),
        ["watch_acl_protected_events_are_dropped"] = new(2, [
            new Create(0, "/T/alice", "", AliceAll),
            new Exists(1, "/T/alice", true),
            new SetData(0, "/T/alice", "x"),
            new AddAuth(0, "digest", Acls.AlicePassword),
            new SetData(0, "/T/alice", "x"),
            new Exists(1, "/T/alice", true),
            new AddAuth(1, "digest", Acls.AlicePassword),
            new Delete(0, "/T/alice"),
        ]),
        ["close_session_deletes_ephemerals_and_fires_watches"] = new(3, [
            new Create(0, "/T/p"),
            new Create(1, "/T/p/e", "", Open, Ephemeral),
            new Create(1, "/T/p/q-", "", Open, EphemeralSequential),
            new GetEphemerals(1, "/T"),
            new GetEphemerals(1, "/T/p/e"),
            new GetEphemerals(0, "/T"),
            new GetChildren(2, "/T/p", true),
            new Exists(2, "/T/p/e", true),
            new CloseSession(1),
            new Exists(1, "/T"),
            new GetChildren(0, "/T/p", false, true),
            new AllChildrenNumber(0, "/T"),
        ]),

        // Pipelined writes: 3.8.0 answers a session's requests in order and fires a transaction's events while
        // processing it, so the reply to a failed write (zxid N) comes before the events of the next write
        // (N+1). Found by the harness: the gateway's distributor used to fire a whole batch's events before
        // its replies; now each transaction's reply follows its own events, and the connection places an
        // event after the replies of writes ordered before it.
        // ---- null data: 3.8.0 keeps it null (getData and multiRead's getData answer a -1 buffer, not
        // an empty one) through a child's create and a setData of the empty buffer apart from it.
        ["null_data_is_returned_as_null"] = new(1, [
            new Create(0, "/T/n", null),
            new GetData(0, "/T/n"),
            new Create(0, "/T/n/c"),
            new GetData(0, "/T/n"),
            new Create(0, "/T/e", "x"),
            new SetData(0, "/T/e", null),
            new GetData(0, "/T/e"),
            new SetData(0, "/T/e", ""),
            new GetData(0, "/T/e"),
            new Multi(0, [new MCreate("/T/m", null), new MSetData("/T/e", null)]),
            new MultiRead(0, [new ReadSub("/T/m", false), new ReadSub("/T/e", false)]),
        ]),

        ["pipelined_writes_event_overtakes_an_earlier_reply"] = new(1, [
            new AddWatch(0, "/T/b", false),
            new Pipeline(0, [new Delete(0, "/T/a"), new Create(0, "/T/b"), new SetData(0, "/T/a", "x"), new Delete(0, "/T/b")]),
        ]),
    };

    /// <summary>
    /// Minimal repros of mismatches found by the harness and not fixed yet; each is a skipped test in
    /// <see cref="DifferentialTests"/> (remove the skip once fixed, and move the case into <see cref="All"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Sequence> KnownMismatches = new Dictionary<string, Sequence>
    {
    };

    public static TheoryData<string> Names
    {
        get
        {
            var names = new TheoryData<string>();
            foreach (var name in All.Keys)
            {
                names.Add(name);
            }
            return names;
        }
    }
}
