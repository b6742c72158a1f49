using System.Security.Cryptography;
using System.Text;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Migration;

/// <summary>
/// A mixed workload for the migration tests: thousands of nodes, several ACL schemes, sequential,
/// container and TTL nodes, deletes, setData, setACL, multi (one that fails), a few MB of data, and
/// ephemeral nodes, some of whose sessions close and one whose session is still open at the end.
/// Requests are pipelined, so snapshots taken during the run are fuzzy.
/// </summary>
public static class ZooKeeperWorkload
{
    public const string Root = "/mig";

    /// <summary>The session left open; its ephemerals are in the tree when the server stops.</summary>
    public sealed record Result(RawZkClient OpenSession, IReadOnlyList<string> OpenEphemerals, long LastZxid);

    public static string DigestOf(string user, string password) =>
        user + ":" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password)));

    public static async Task<Result> RunAsync(int port, int nodes = 2500)
    {
        var open = await RawZkClient.ConnectAsync(port, timeoutMs: 600_000);
        await using var c = await RawZkClient.ConnectAsync(port, timeoutMs: 30_000);
        Ok(await c.SendAsync(OpCode.Auth, new AuthPacket(0, "digest", Encoding.UTF8.GetBytes("alice:secret")), Xids.Auth));
        // Super as well, to change nodes whose ACLs give alice no WRITE or ADMIN.
        Ok(await c.SendAsync(OpCode.Auth, new AuthPacket(0, "digest", Encoding.UTF8.GetBytes("super:" + CompatSettings.SuperPassword)), Xids.Auth));
        var creator = new Acl(Perms.All, new Id("auth", ""));
        var bob = new Acl(Perms.Read | Perms.Write, new Id("digest", DigestOf("bob", "pw")));
        var local = new Acl(Perms.Read | Perms.Create | Perms.Delete, new Id("ip", "127.0.0.1"));
        var worldRead = new Acl(Perms.Read, Id.Anyone);
        IReadOnlyList<Acl>[] acls = [Acl.OpenAclUnsafe, [creator], [bob, worldRead], [local, creator], [worldRead]];

        foreach (string dir in new[] { Root, $"{Root}/plain", $"{Root}/seq", $"{Root}/big", $"{Root}/eph", $"{Root}/ttl", $"{Root}/multi" })
        {
            Ok(await c.CreateAsync(dir, Encoding.UTF8.GetBytes(dir)));
        }
        // Plain nodes, pipelined in batches, with ACLs from every scheme and some null data.
        for (int start = 0; start < nodes; start += 100)
        {
            var batch = Enumerable.Range(start, Math.Min(100, nodes - start)).Select(i =>
                c.SendAsync(OpCode.Create, new CreateRequest($"{Root}/plain/n{i:D5}", i % 50 == 0 ? null : Encoding.UTF8.GetBytes($"value-{i}-" + new string('x', i % 300)),
                    acls[i % acls.Length], CreateMode.Persistent))).ToList();
            foreach (var reply in batch)
            {
                Ok(await reply);
            }
        }
        // Changes to them: setData (some twice), deletes, setACL.
        await AllOk(Enumerable.Range(0, nodes).Where(i => i % 5 == 0).Select(i => c.SetDataAsync($"{Root}/plain/n{i:D5}", Encoding.UTF8.GetBytes($"changed-{i}"))));
        await AllOk(Enumerable.Range(0, nodes).Where(i => i % 15 == 0).Select(i => c.SetDataAsync($"{Root}/plain/n{i:D5}", [])));
        await AllOk(Enumerable.Range(0, nodes).Where(i => i % 7 == 3).Select(i => c.DeleteAsync($"{Root}/plain/n{i:D5}")));
        await AllOk(Enumerable.Range(0, nodes).Where(i => i % 11 == 1 && i % 7 != 3).Select(i =>
            c.SendAsync(OpCode.SetAcl, new SetACLRequest($"{Root}/plain/n{i:D5}", [worldRead, creator], -1))));
        // Sequential nodes, with deletes between, so suffixes and cversions move apart.
        for (int i = 0; i < 300; i++)
        {
            var created = await c.CreateAsync($"{Root}/seq/s-", Encoding.UTF8.GetBytes($"s{i}"), CreateMode.PersistentSequential);
            Ok(created);
            if (i % 4 == 0)
            {
                Ok(await c.DeleteAsync(created.Decode<CreateResponse>().Path!));
            }
        }
        // A few MB of data.
        await AllOk(Enumerable.Range(0, 30).Select(i =>
        {
            byte[] data = new byte[100_000 + i];
            new Random(i).NextBytes(data);
            return c.CreateAsync($"{Root}/big/b{i:D2}", data);
        }));
        // Containers (with children, and one never used) and TTL nodes (an hour, so neither server reaps them).
        for (int i = 0; i < 5; i++)
        {
            Ok(await c.SendAsync(OpCode.CreateContainer, new CreateRequest($"{Root}/cont{i}", Encoding.UTF8.GetBytes("c"), Acl.OpenAclUnsafe, CreateMode.Container)));
            for (int k = 0; k < i; k++)
            {
                Ok(await c.CreateAsync($"{Root}/cont{i}/k{k}"));
            }
        }
        for (int i = 0; i < 20; i++)
        {
            var mode = i % 2 == 0 ? CreateMode.PersistentWithTtl : CreateMode.PersistentSequentialWithTtl;
            Ok(await c.SendAsync(OpCode.CreateTtl, new CreateTTLRequest($"{Root}/ttl/t{i:D2}-", Encoding.UTF8.GetBytes($"ttl{i}"), Acl.OpenAclUnsafe, mode, 3_600_000 + i)));
        }
        // Multi: one that succeeds, one that fails on a version check (logged as an error transaction).
        Ok(await c.SendAsync(OpCode.Multi, new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest($"{Root}/multi/a", [1], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.Create, new CreateRequest($"{Root}/multi/b", [2], [creator], CreateMode.PersistentSequential)),
            new MultiOp(OpCode.SetData, new SetDataRequest($"{Root}/multi", [3], -1)),
            new MultiOp(OpCode.Delete, new DeleteRequest($"{Root}/plain/n00002", -1)),
        ])));
        var failed = await c.SendAsync(OpCode.Multi, new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest($"{Root}/multi/never", [1], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.Check, new CheckVersionRequest($"{Root}/multi", 99)),
        ]));
        Assert.Equal(ErrorCode.Ok, failed.Error); // a failed multi answers Ok with per-op errors
        // Ephemerals: a session that closes (closeSession deletes them) and one left open.
        await using (var closing = await RawZkClient.ConnectAsync(port))
        {
            Ok(await closing.CreateAsync($"{Root}/eph/gone", [], CreateMode.Ephemeral));
            Ok(await closing.CreateAsync($"{Root}/eph/gone-seq-", [], CreateMode.EphemeralSequential));
            Ok(await closing.CloseSessionAsync());
        }
        var kept = new List<string>();
        Ok(await open.CreateAsync($"{Root}/eph/kept", [7], CreateMode.Ephemeral));
        kept.Add($"{Root}/eph/kept");
        var sequential = await open.CreateAsync($"{Root}/eph/kept-seq-", [], CreateMode.EphemeralSequential);
        Ok(sequential);
        kept.Add(sequential.Decode<CreateResponse>().Path!);
        Ok(await open.CreateAsync($"{Root}/plain/ephemeral-child", [], CreateMode.Ephemeral));
        kept.Add($"{Root}/plain/ephemeral-child");
        var last = await c.SetDataAsync(Root, Encoding.UTF8.GetBytes("done"));
        Ok(last);
        return new Result(open, kept, last.Header.Zxid);
    }

    private static void Ok(RawReply reply) => Assert.True(reply.Error == ErrorCode.Ok, $"{reply.Error}");

    private static async Task AllOk(IEnumerable<Task<RawReply>> replies)
    {
        foreach (var reply in await Task.WhenAll(replies.ToList()))
        {
            Ok(reply);
        }
    }
}
