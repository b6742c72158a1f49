using System.Security.Cryptography;
using System.Text;
using ZkGateway.Compat.Infrastructure;
using static ZkGateway.Compat.Infrastructure.Scenario;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// ACLs and authentication, byte for byte, against real ZooKeeper 3.8 and the gateway with the same
/// expectations. Both targets start with the super digest of password "test" (<see cref="CompatSettings"/>).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class AclScenarios(CompatFixture targets)
{
    /// <summary>user:BASE64(SHA1("user:password")), computed here independently of the product.</summary>
    private static string DigestOf(string user, string password) =>
        user + ":" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password)));

    private static Acl DigestAcl(Perms perms, string user, string password) => new(perms, new Id("digest", DigestOf(user, password)));

    private static readonly Acl CreatorAll = new(Perms.All, new Id("auth", ""));

    private static Task<RawReply> AddAuthAsync(RawZkClient c, string scheme, string auth) =>
        c.SendAsync(OpCode.Auth, new AuthPacket(0, scheme, Encoding.UTF8.GetBytes(auth)), Xids.Auth);

    private static Task<RawReply> CreateAsync(RawZkClient c, string path, params Acl[] acl) =>
        c.SendAsync(OpCode.Create, new CreateRequest(path, [], acl, CreateMode.Persistent));

    private static Task<RawReply> SetAclAsync(RawZkClient c, string path, int version, params Acl[] acl) =>
        c.SendAsync(OpCode.SetAcl, new SetACLRequest(path, acl, version));

    private static Task<RawReply> GetAclAsync(RawZkClient c, string path) => c.SendAsync(OpCode.GetAcl, new GetACLRequest(path));

    private static async Task<List<(string? Scheme, string? User)>> WhoAmIAsync(RawZkClient c)
    {
        var reply = await c.SendAsync(OpCode.WhoAmI, null);
        Assert.Equal(ErrorCode.Ok, reply.Error);
        return [.. (reply.Decode<WhoAmIResponse>().ClientInfo ?? []).Select(i => (i.AuthScheme, i.User))];
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task A_digest_acl_denies_other_sessions_until_they_authenticate(TargetKind target)
    {
        string path = Unique("digest");
        await using var owner = await targets.ConnectAsync(target);
        var auth = await AddAuthAsync(owner, "digest", "alice:secret");
        Assert.Equal(ErrorCode.Ok, auth.Error);
        Assert.Equal(0, auth.Header.Zxid);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(owner, path, DigestAcl(Perms.All, "alice", "secret"))).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(owner, path + "/child", Acl.OpenAclUnsafe[0])).Error);

        await using var other = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.NoAuth, (await other.GetDataAsync(path)).Error);
        Assert.Equal(ErrorCode.NoAuth, (await other.GetChildrenAsync(path)).Error);
        Assert.Equal(ErrorCode.NoAuth, (await other.SetDataAsync(path, [1])).Error);
        Assert.Equal(ErrorCode.NoAuth, (await other.DeleteAsync(path + "/child")).Error);
        Assert.Equal(ErrorCode.NoAuth, (await other.CreateAsync(path + "/x")).Error);
        Assert.Equal(ErrorCode.NoAuth, (await GetAclAsync(other, path)).Error);
        Assert.Equal(ErrorCode.NoAuth, (await other.SendAsync(OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest(path))).Error);
        // NoNode comes before NoAuth.
        Assert.Equal(ErrorCode.NoNode, (await other.GetDataAsync(path + "/missing")).Error);
        Assert.Equal(ErrorCode.NoNode, (await other.SetDataAsync(path + "/missing", [1])).Error);
        Assert.Equal(ErrorCode.NoAuth, (await other.DeleteAsync(path + "/missing")).Error);
        // check in a multi needs READ.
        var multi = await other.SendAsync(OpCode.Multi, new MultiRequest([new MultiOp(OpCode.Check, new CheckVersionRequest(path, -1))]));
        Assert.Equal([ErrorCode.NoAuth], multi.Decode<MultiResponse>().Results.Select(r => r.Err));

        // A wrong password is accepted and grants nothing.
        Assert.Equal(ErrorCode.Ok, (await AddAuthAsync(other, "digest", "alice:wrong")).Error);
        Assert.Equal(ErrorCode.NoAuth, (await other.GetDataAsync(path)).Error);

        // The right one grants everything the ACL gives.
        Assert.Equal(ErrorCode.Ok, (await AddAuthAsync(other, "digest", "alice:secret")).Error);
        Assert.Equal(ErrorCode.Ok, (await other.GetDataAsync(path)).Error);
        Assert.Equal(ErrorCode.Ok, (await other.SetDataAsync(path, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await other.CreateAsync(path + "/x")).Error);
        Assert.Equal(ErrorCode.Ok, (await other.DeleteAsync(path + "/x")).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Super_bypasses_every_acl(TargetKind target)
    {
        string path = Unique("super");
        await using var owner = await targets.ConnectAsync(target);
        await AddAuthAsync(owner, "digest", "alice:secret");
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(owner, path, DigestAcl(Perms.Read, "alice", "secret"))).Error);

        await using var super = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await AddAuthAsync(super, "digest", "super:" + CompatSettings.SuperPassword)).Error);
        Assert.Equal(ErrorCode.Ok, (await super.GetDataAsync(path)).Error);
        Assert.Equal(ErrorCode.Ok, (await super.SetDataAsync(path, [7])).Error);
        Assert.Equal(ErrorCode.Ok, (await super.CreateAsync(path + "/c")).Error);
        var acl = await GetAclAsync(super, path);
        Assert.Equal(ErrorCode.Ok, acl.Error);
        // super holds ADMIN, so nothing is masked.
        Assert.Equal([DigestAcl(Perms.Read, "alice", "secret")], acl.Decode<GetACLResponse>().Acl!);
        Assert.Equal(ErrorCode.Ok, (await SetAclAsync(super, path, -1, Acl.OpenAclUnsafe[0])).Error);
        Assert.Equal(ErrorCode.Ok, (await super.DeleteAsync(path + "/c")).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task The_auth_scheme_expands_to_the_sessions_digest_ids_and_is_invalid_without_one(TargetKind target)
    {
        string path = Unique("auth");
        await using var c = await targets.ConnectAsync(target);
        // Only ip: auth has nothing to expand to.
        Assert.Equal(ErrorCode.InvalidAcl, (await CreateAsync(c, path, CreatorAll)).Error);
        Assert.Equal(ErrorCode.InvalidAcl, (await CreateAsync(c, path)).Error);
        Assert.Equal(ErrorCode.InvalidAcl, (await CreateAsync(c, path, new Acl(Perms.All, new Id("nosuch", "x")))).Error);
        Assert.Equal(ErrorCode.InvalidAcl, (await CreateAsync(c, path, new Acl(Perms.All, new Id("digest", "nocolon")))).Error);
        Assert.Equal(ErrorCode.InvalidAcl, (await CreateAsync(c, path, new Acl(Perms.All, new Id("ip", "300.1.1.1")))).Error);
        Assert.Equal(ErrorCode.InvalidAcl, (await CreateAsync(c, path, new Acl(Perms.All, new Id("world", "someone")))).Error);

        await AddAuthAsync(c, "digest", "alice:secret");
        await AddAuthAsync(c, "digest", "bob:hunter2");
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(c, path, CreatorAll, CreatorAll, Acl.ReadAclUnsafe[0])).Error);
        var acl = await GetAclAsync(c, path);
        Assert.Equal(
            [DigestAcl(Perms.All, "alice", "secret"), DigestAcl(Perms.All, "bob", "hunter2"), Acl.ReadAclUnsafe[0]],
            acl.Decode<GetACLResponse>().Acl!);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task SetAcl_checks_in_order_and_bumps_only_the_aversion(TargetKind target)
    {
        string path = Unique("setacl");
        await using var c = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(path)).Error);
        var before = (await c.ExistsAsync(path)).Decode<ExistsResponse>().Stat;

        // InvalidACL before NoNode; NoNode; BadVersion against aversion (0), not version.
        Assert.Equal(ErrorCode.InvalidAcl, (await SetAclAsync(c, path + "/missing", -1)).Error);
        Assert.Equal(ErrorCode.NoNode, (await SetAclAsync(c, path + "/missing", -1, Acl.OpenAclUnsafe[0])).Error);
        Assert.Equal(ErrorCode.BadArguments, (await SetAclAsync(c, "bad", -1, Acl.OpenAclUnsafe[0])).Error);
        Assert.Equal(ErrorCode.BadVersion, (await SetAclAsync(c, path, 3, Acl.OpenAclUnsafe[0])).Error);

        var set = await SetAclAsync(c, path, 0, Acl.ReadAclUnsafe[0], DigestAcl(Perms.All, "alice", "secret"));
        Assert.Equal(ErrorCode.Ok, set.Error);
        var stat = set.Decode<SetACLResponse>().Stat;
        Assert.Equal(1, stat.Aversion);
        Assert.Equal(before.Version, stat.Version);
        Assert.Equal(before.Mzxid, stat.Mzxid);
        Assert.Equal(before.Mtime, stat.Mtime);
        Assert.Equal(before.Cversion, stat.Cversion);

        // Now this session lacks ADMIN: NoAuth comes before BadVersion.
        Assert.Equal(ErrorCode.NoAuth, (await SetAclAsync(c, path, 99, Acl.OpenAclUnsafe[0])).Error);
        Assert.Equal(ErrorCode.NoAuth, (await c.SetDataAsync(path, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync(path)).Error);

        await AddAuthAsync(c, "digest", "alice:secret");
        Assert.Equal(ErrorCode.BadVersion, (await SetAclAsync(c, path, 0, Acl.OpenAclUnsafe[0])).Error);
        var again = await SetAclAsync(c, path, 1, Acl.OpenAclUnsafe[0]);
        Assert.Equal(ErrorCode.Ok, again.Error);
        Assert.Equal(2, again.Decode<SetACLResponse>().Stat.Aversion);
        Assert.Equal(Acl.OpenAclUnsafe, (await GetAclAsync(c, path)).Decode<GetACLResponse>().Acl!);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task GetAcl_masks_digests_for_a_session_without_admin(TargetKind target)
    {
        string path = Unique("mask");
        await using var owner = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(owner, path, Acl.ReadAclUnsafe[0], DigestAcl(Perms.All, "alice", "secret"))).Error);

        var masked = await GetAclAsync(owner, path);
        Assert.Equal(ErrorCode.Ok, masked.Error);
        Assert.Equal([Acl.ReadAclUnsafe[0], new Acl(Perms.All, new Id("digest", "alice:x"))], masked.Decode<GetACLResponse>().Acl!);

        await AddAuthAsync(owner, "digest", "alice:secret");
        var full = await GetAclAsync(owner, path);
        Assert.Equal([Acl.ReadAclUnsafe[0], DigestAcl(Perms.All, "alice", "secret")], full.Decode<GetACLResponse>().Acl!);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task WhoAmI_lists_the_ip_then_each_authenticated_id(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        Assert.Equal([("ip", "127.0.0.1")], await WhoAmIAsync(c));
        await AddAuthAsync(c, "digest", "alice:secret");
        await AddAuthAsync(c, "digest", "alice:secret");
        await AddAuthAsync(c, "digest", "bob:whatever");
        // 3.8.0 keeps a connection's ids in a hash set: whoAmI lists them in its iteration order.
        Assert.Equal([("digest", "alice"), ("ip", "127.0.0.1"), ("digest", "bob")], await WhoAmIAsync(c));

        await using var super = await targets.ConnectAsync(target);
        await AddAuthAsync(super, "digest", "super:" + CompatSettings.SuperPassword);
        Assert.Equal([("super", ""), ("ip", "127.0.0.1"), ("digest", "super")], await WhoAmIAsync(super));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task An_unknown_auth_scheme_is_AuthFailed_then_close(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        var reply = await AddAuthAsync(c, "nosuch", "whatever");
        Assert.Equal(ErrorCode.AuthFailed, reply.Error);
        Assert.Equal(0, reply.Header.Zxid);
        await c.Closed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Addauth_ip_succeeds_and_adds_nothing_new(TargetKind target)
    {
        // IPAuthenticationProvider.handleAuthentication: the connection's own address, whatever the
        // packet says, into a set that already holds it (issue 15, item 2).
        await using var c = await targets.ConnectAsync(target);
        var reply = await AddAuthAsync(c, "ip", "10.1.2.3");
        Assert.Equal(ErrorCode.Ok, reply.Error);
        Assert.Equal(0, reply.Header.Zxid);
        Assert.Equal([("ip", "127.0.0.1")], await WhoAmIAsync(c));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Addauth_digest_without_data_is_AuthFailed_then_close(TargetKind target)
    {
        // 3.8.0's digest provider turns the null buffer into a NullPointerException, answered AuthFailed
        // and closed (issue 15, item 7).
        await using var c = await targets.ConnectAsync(target);
        var reply = await c.SendAsync(OpCode.Auth, new AuthPacket(0, "digest", null), Xids.Auth);
        Assert.Equal(ErrorCode.AuthFailed, reply.Error);
        await c.Closed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Exists_checks_no_acl_in_3_8_0(TargetKind target)
    {
        string path = Unique("exists");
        await using var owner = await targets.ConnectAsync(target);
        await AddAuthAsync(owner, "digest", "alice:secret");
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(owner, path, DigestAcl(Perms.All, "alice", "secret"))).Error);
        await using var other = await targets.ConnectAsync(target);
        // Later versions check READ on an existing node; 3.8.0 (even Debian's patched build) does not.
        Assert.Equal(ErrorCode.Ok, (await other.ExistsAsync(path)).Error);
        Assert.Equal(ErrorCode.NoNode, (await other.ExistsAsync(path + "/missing")).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Ip_acls_match_the_client_address(TargetKind target)
    {
        string path = Unique("ip");
        await using var c = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(c, path, new Acl(Perms.All, new Id("ip", "127.0.0.0/8")))).Error);
        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync(path)).Error);
        Assert.Equal(ErrorCode.Ok, (await SetAclAsync(c, path, -1, new Acl(Perms.All, new Id("ip", "10.0.0.1")))).Error);
        Assert.Equal(ErrorCode.NoAuth, (await c.GetDataAsync(path)).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Watch_events_reach_only_watchers_with_read_on_the_node(TargetKind target)
    {
        // Debian's 3.8.0 carries the fix for CVE-2024-23944: ServerCnxn.process checks READ on the
        // node an event is about. The watch is consumed either way.
        string open = Unique("watchopen");
        string closed = Unique("watchclosed");
        await using var watcher = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.NoNode, (await watcher.ExistsAsync(open, watch: true)).Error);
        Assert.Equal(ErrorCode.NoNode, (await watcher.ExistsAsync(closed, watch: true)).Error);
        await using var owner = await targets.ConnectAsync(target);
        await AddAuthAsync(owner, "digest", "alice:secret");
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(owner, closed, DigestAcl(Perms.All, "alice", "secret"))).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(owner, open, Acl.OpenAclUnsafe[0])).Error);
        var created = await watcher.Events.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((EventType.NodeCreated, open), (created.Type, created.Path));

        // A data watch set while readable; the ACL then shuts the watcher out: no NodeDataChanged.
        Assert.Equal(ErrorCode.Ok, (await watcher.GetDataAsync(open, watch: true)).Error);
        Assert.Equal(ErrorCode.Ok, (await SetAclAsync(owner, open, -1, DigestAcl(Perms.All, "alice", "secret"))).Error);
        Assert.Equal(ErrorCode.Ok, (await owner.SetDataAsync(open, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await owner.SetDataAsync(closed, [1])).Error);

        // The watcher authenticates: the consumed watches stay consumed.
        await AddAuthAsync(watcher, "digest", "alice:secret");
        Assert.Equal(ErrorCode.Ok, (await owner.SetDataAsync(open, [2])).Error);
        Assert.Equal(ErrorCode.Ok, (await owner.SetDataAsync(closed, [2])).Error);
        await watcher.PingAsync();
        Assert.False(watcher.Events.Reader.TryRead(out var extra), $"unexpected {extra?.Type}:{extra?.Path}");
    }
}
