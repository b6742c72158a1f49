using System.Security.Cryptography;
using System.Text;
using ZkGateway.Backend;
using ZkGateway.Backend.Functions;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// ACL checks, fixupACL, setACL and getACL masking on the embedded backend, with the caller identity
/// the gateway passes (expected values checked against Debian's ZooKeeper 3.8.0 by tests/Compat).
/// </summary>
public sealed class AclTests : EmbeddedSessionTests
{
    private static readonly CallerIdentity Ip = new([new Id("ip", "127.0.0.1")]);
    private static readonly CallerIdentity Alice = Ip.With(new Id("digest", DigestOf("alice", "secret")));
    private static readonly CallerIdentity Super = Ip.With(new Id("super", "")).With(new Id("digest", DigestOf("super", "test")));

    private static string DigestOf(string user, string password) =>
        user + ":" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password)));

    private static Acl AliceAll => new(Perms.All, new Id("digest", DigestOf("alice", "secret")));

    private Task<WriteResult> Create(string path, CallerIdentity caller, params Acl[] acl) =>
        B.SubmitAsync(Session, new CreateOperation(path, [], acl, CreateMode.Persistent), caller);

    private static ErrorCode Code(WriteResult r) => r.Result?.Error ?? r.Error;

    [Fact]
    public void Digest_matches_zookeepers_generateDigest()
    {
        // The harness super digest for "super:test".
        Assert.Equal("super:D/InIHSb7yEEbrWz8b9l71RjZJU=", AclRules.Digest("super:test"));
        Assert.Equal(DigestOf("alice", "se:cret"), AclRules.Digest("alice:se:cret"));
    }

    [Fact]
    public async Task Digest_acl_denies_others_and_admits_the_owner_and_super()
    {
        Assert.Equal(ErrorCode.Ok, Code(await Create("/d", Alice, AliceAll)));
        Assert.Equal(ErrorCode.NoAuth, (await B.GetDataAsync("/d", null, Ip)).Error);
        Assert.Equal(ErrorCode.NoAuth, (await B.GetChildrenAsync("/d", null, Ip)).Error);
        Assert.Equal(ErrorCode.Ok, (await B.ExistsAsync("/d", null, Ip)).Error); // 3.8.0: no check on exists
        Assert.Equal(ErrorCode.NoAuth, Code(await B.SubmitAsync(Session, new SetDataOperation("/d", [1], -1), Ip)));
        Assert.Equal(ErrorCode.NoAuth, Code(await Create("/d/c", Ip, Acl.OpenAclUnsafe[0])));
        Assert.Equal(ErrorCode.NoAuth, Code(await B.SubmitAsync(Session, new DeleteOperation("/d/missing", -1), Ip)));
        var multi = await B.SubmitAsync(Session, new MultiOperation([new CheckOperation("/d", -1)]), Ip);
        Assert.Equal([ErrorCode.NoAuth], multi.MultiResults!.Select(r => r.Error));

        Assert.Equal(ErrorCode.Ok, (await B.GetDataAsync("/d", null, Alice)).Error);
        Assert.Equal(ErrorCode.Ok, Code(await Create("/d/c", Alice, Acl.OpenAclUnsafe[0])));
        Assert.Equal(ErrorCode.Ok, (await B.GetDataAsync("/d", null, Super)).Error);
        Assert.Equal(ErrorCode.Ok, Code(await B.SubmitAsync(Session, new DeleteOperation("/d/c", -1), Super)));
    }

    [Fact]
    public async Task Fixup_expands_auth_and_rejects_bad_acls()
    {
        Assert.Equal(ErrorCode.InvalidAcl, Code(await Create("/x", Ip, new Acl(Perms.All, new Id("auth", "")))));
        Assert.Equal(ErrorCode.InvalidAcl, Code(await Create("/x", Ip)));
        Assert.Equal(ErrorCode.InvalidAcl, Code(await Create("/x", Ip, new Acl(Perms.All, new Id("sasl", "a@b@c")))));
        Assert.Equal(ErrorCode.InvalidAcl, Code(await Create("/x", Ip, new Acl(Perms.All, new Id("digest", "user:")))));
        Assert.Equal(ErrorCode.InvalidAcl, Code(await Create("/x", Ip, new Acl(Perms.All, new Id("ip", "1.2.3.4/33")))));

        // auth expands to digest ids only (not ip, not super); duplicates are removed first.
        var acl = Fixup([new Acl(Perms.All, new Id("auth", "")), new Acl(Perms.All, new Id("auth", "")), Acl.ReadAclUnsafe[0]], Super);
        Assert.Equal([new Acl(Perms.All, new Id("digest", DigestOf("super", "test"))), Acl.ReadAclUnsafe[0]], acl);
        Assert.Equal(ErrorCode.Ok, Code(await Create("/x", Alice, new Acl(Perms.All, new Id("auth", "")))));
        Assert.Equal([AliceAll], (await B.GetAclAsync("/x", Alice)).Value!.Acl);
    }

    [Fact]
    public void X509_ids_are_valid_distinguished_names_match_exactly_and_auth_expands_to_them()
    {
        var dn = "CN=client,OU=test,O=zkgw";
        var tls = new CallerIdentity([new Id("ip", "127.0.0.1"), new Id("x509", dn)]);
        Assert.Null(Fixup([new Acl(Perms.All, new Id("x509", "CN=x,=broken"))], tls));
        Assert.Equal([new Acl(Perms.All, new Id("x509", dn))], Fixup([new Acl(Perms.All, new Id("x509", dn))], tls));
        Assert.Equal([new Acl(Perms.All, new Id("x509", dn))], Fixup([new Acl(Perms.All, new Id("auth", ""))], tls));
        Assert.True(AclRules.Allows([new Acl(Perms.Read, new Id("x509", dn))], Perms.Read, tls));
        Assert.False(AclRules.Allows([new Acl(Perms.Read, new Id("x509", "CN=other,OU=test,O=zkgw"))], Perms.Read, tls));
    }

    [Fact]
    public void Sasl_ids_are_kerberos_names_match_exactly_or_as_super_and_auth_expands_to_them()
    {
        var bob = new CallerIdentity([new Id("ip", "127.0.0.1"), new Id("sasl", "bob")]);
        // SASLAuthenticationProvider.isValid is KerberosName's parse: no '@', or service[/host]@realm.
        foreach (var valid in new[] { "bob", "bob@EXAMPLE.COM", "zk/host.example@EXAMPLE.COM", "a/b/c", "@" })
        {
            Assert.Equal([new Acl(Perms.All, new Id("sasl", valid))], Fixup([new Acl(Perms.All, new Id("sasl", valid))], bob));
        }
        foreach (var invalid in new[] { "a@b@c", "a/b/c@R", "a@R/x" })
        {
            Assert.Null(Fixup([new Acl(Perms.All, new Id("sasl", invalid))], bob));
        }
        Assert.Equal([new Acl(Perms.All, new Id("sasl", "bob"))], Fixup([new Acl(Perms.All, new Id("auth", ""))], bob));
        Assert.True(AclRules.Allows([new Acl(Perms.Read, new Id("sasl", "bob"))], Perms.Read, bob));
        Assert.False(AclRules.Allows([new Acl(Perms.Read, new Id("sasl", "alice"))], Perms.Read, bob));
        // A sasl user named super matches every sasl entry (SASLAuthenticationProvider.matches), not other schemes.
        var saslSuper = new CallerIdentity([new Id("sasl", "super")]);
        Assert.True(AclRules.Allows([new Acl(Perms.Read, new Id("sasl", "alice"))], Perms.Read, saslSuper));
        Assert.False(AclRules.Allows([new Acl(Perms.Read, new Id("digest", DigestOf("alice", "pw")))], Perms.Read, saslSuper));
    }

    private static IReadOnlyList<Acl>? Fixup(IReadOnlyList<Acl> acl, CallerIdentity caller) => AclRules.Fixup(acl, caller);

    [Fact]
    public async Task SetAcl_follows_the_check_order_and_bumps_only_aversion()
    {
        var created = await Create("/s", Ip, Acl.OpenAclUnsafe[0]);
        var before = created.Result!.Stat!.Value;
        Assert.Equal(ErrorCode.BadArguments, Code(await B.SubmitAsync(Session, new SetAclOperation("s", [], -1), Ip)));
        Assert.Equal(ErrorCode.InvalidAcl, Code(await B.SubmitAsync(Session, new SetAclOperation("/missing", [], -1), Ip)));
        Assert.Equal(ErrorCode.NoNode, Code(await B.SubmitAsync(Session, new SetAclOperation("/missing", Acl.OpenAclUnsafe, -1), Ip)));
        Assert.Equal(ErrorCode.BadVersion, Code(await B.SubmitAsync(Session, new SetAclOperation("/s", Acl.OpenAclUnsafe, 1), Ip)));

        Zk.Sink.Drain();
        Assert.Equal(ErrorCode.Ok, (await B.GetDataAsync("/s", 42, Ip)).Error);
        var set = await B.SubmitAsync(Session, new SetAclOperation("/s", [Acl.ReadAclUnsafe[0], AliceAll], 0), Ip);
        Assert.Equal(ErrorCode.Ok, Code(set));
        var stat = set.Result!.Stat!.Value;
        Assert.Equal(1, stat.Aversion);
        Assert.Equal(before.Mzxid, stat.Mzxid);
        Assert.Equal(before.Version, stat.Version);
        Assert.Empty(Zk.Sink.Drain()); // setACL fires no watch

        // Without ADMIN: NoAuth before BadVersion; getACL masks the digest.
        Assert.Equal(ErrorCode.NoAuth, Code(await B.SubmitAsync(Session, new SetAclOperation("/s", Acl.OpenAclUnsafe, 7), Ip)));
        var masked = await B.GetAclAsync("/s", Ip);
        Assert.Equal([Acl.ReadAclUnsafe[0], new Acl(Perms.All, new Id("digest", "alice:x"))], masked.Value!.Acl);
        Assert.Equal([Acl.ReadAclUnsafe[0], AliceAll], (await B.GetAclAsync("/s", Alice)).Value!.Acl);

        // Persisted: the ACL survives a restart.
        await Zk.RestartAsync();
        Assert.Equal([Acl.ReadAclUnsafe[0], AliceAll], (await Zk.Backend.GetAclAsync("/s", Super)).Value!.Acl);
        Assert.Equal(1, (await Zk.Backend.GetAclAsync("/s", Super)).Value!.Stat.Aversion);
    }

    [Fact]
    public async Task Watch_events_carry_the_nodes_acl()
    {
        Assert.Equal(ErrorCode.NoNode, (await B.ExistsAsync("/w", 7, Ip)).Error);
        Assert.Equal(ErrorCode.Ok, Code(await Create("/w", Alice, AliceAll)));
        var (watcher, e) = Assert.Single(Zk.Sink.Drain());
        Assert.Equal(7, watcher);
        Assert.Equal([AliceAll], e.Acl);
        Assert.False(AclRules.Allows(e.Acl!, Perms.Read, Ip));
        Assert.True(AclRules.Allows(e.Acl!, Perms.Read, Alice));
    }

    [Fact]
    public void Ip_acls_match_by_prefix()
    {
        Assert.True(AclRules.Allows([new Acl(Perms.Read, new Id("ip", "127.0.0.0/8"))], Perms.Read, Ip));
        Assert.True(AclRules.Allows([new Acl(Perms.Read, new Id("ip", "127.0.0.1"))], Perms.Read, Ip));
        Assert.False(AclRules.Allows([new Acl(Perms.Read, new Id("ip", "10.0.0.1/8"))], Perms.Read, Ip));
        Assert.False(AclRules.Allows([new Acl(Perms.Write, new Id("ip", "127.0.0.1"))], Perms.Read, Ip));
    }

    [Fact]
    public void Ids_iterate_in_zookeepers_hash_set_order()
    {
        // Observed on 3.8.0 (whoAmI): ip, alice, bob added in that order list as alice, ip, bob.
        var ids = Ip.With(new Id("digest", DigestOf("alice", "secret"))).With(new Id("digest", DigestOf("bob", "whatever")));
        Assert.Equal(["digest", "ip", "digest"], ids.Ids.Select(i => i.Scheme));
        Assert.Same(ids, ids.With(new Id("ip", "127.0.0.1")));
        Assert.Equal(["super", "ip", "digest"], Super.Ids.Select(i => i.Scheme));
    }
}
