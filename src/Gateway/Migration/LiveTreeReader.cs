using ZkGateway.Gateway.Client;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Migration;

/// <summary>
/// Reads a running server's whole tree over the client protocol (getData, getACL, getChildren per node,
/// pipelined), as the state after one zxid: the reply to the first request carries the server's last
/// zxid Z, and the walk is accepted only if no node it read has a czxid, mzxid or pzxid above Z and
/// none vanished meanwhile; otherwise it starts again, at most <see cref="Attempts"/> times. Every
/// create, delete and setData moves one of those zxids, so an accepted walk is the tree at Z, except
/// for setACL, which moves no zxid (docs/migration.md).
/// </summary>
internal static class LiveTreeReader
{
    public const int Attempts = 5;
    private const int InFlight = 64;

    public static async Task<DumpImage> ReadAsync(string address, IReadOnlyList<string> auth, CancellationToken cancellationToken)
    {
        await using var client = await ZooKeeperClient.ConnectAsync(address, 30_000, cancellationToken).ConfigureAwait(false);
        foreach (string credentials in auth)
        {
            await client.AddAuthAsync(credentials, cancellationToken).ConfigureAwait(false);
        }
        for (int attempt = 1; attempt <= Attempts; attempt++)
        {
            var start = await client.SendAsync(OpCode.Exists, new ExistsRequest("/", false), cancellationToken).ConfigureAwait(false);
            long zxid = start.Header.Zxid;
            var nodes = await WalkAsync(client, cancellationToken).ConfigureAwait(false);
            if (nodes is not null && nodes.All(n => n.Stat.Czxid <= zxid && n.Stat.Mzxid <= zxid && n.Stat.Pzxid <= zxid))
            {
                return new DumpImage(address, zxid, KindsKnown: false, nodes);
            }
        }
        throw new IOException($"{address}: the tree changed during each of {Attempts} walks: stop the writers, or export from the data directory");
    }

    /// <summary>One walk, parents first; null when a node vanished between its parent's read and its own.</summary>
    private static async Task<List<DumpNode>?> WalkAsync(ZooKeeperClient client, CancellationToken cancellationToken)
    {
        var nodes = new List<DumpNode>();
        var level = new List<string> { "/" };
        while (level.Count > 0)
        {
            var next = new List<string>();
            for (int i = 0; i < level.Count; i += InFlight)
            {
                var batch = level.Skip(i).Take(InFlight).Select(path => (Path: path,
                    Data: client.SendAsync(OpCode.GetData, new GetDataRequest(path, false), cancellationToken),
                    Acl: client.SendAsync(OpCode.GetAcl, new GetACLRequest(path), cancellationToken),
                    Children: client.SendAsync(OpCode.GetChildren, new GetChildrenRequest(path, false), cancellationToken))).ToList();
                foreach (var (path, dataTask, aclTask, childrenTask) in batch)
                {
                    var (data, acl, children) = (await dataTask.ConfigureAwait(false), await aclTask.ConfigureAwait(false), await childrenTask.ConfigureAwait(false));
                    if (data.Header.Err == ErrorCode.NoNode || acl.Header.Err == ErrorCode.NoNode || children.Header.Err == ErrorCode.NoNode)
                    {
                        return null;
                    }
                    foreach (var reply in new[] { data, acl, children })
                    {
                        if (reply.Header.Err != ErrorCode.Ok)
                        {
                            throw new IOException($"{path}: {reply.Header.Err} (read with an identity that may read every node, e.g. --auth digest:super:…)");
                        }
                    }
                    var got = data.Decode<GetDataResponse>();
                    var stat = got.Stat;
                    nodes.Add(new DumpNode(path, got.Data, acl.Decode<GetACLResponse>().Acl ?? [], stat,
                        stat.EphemeralOwner != 0 ? DumpNodeKind.Ephemeral : DumpNodeKind.Persistent));
                    foreach (string child in (children.Decode<GetChildrenResponse>().Children ?? []).Order(StringComparer.Ordinal))
                    {
                        next.Add(path == "/" ? "/" + child : path + "/" + child);
                    }
                }
            }
            level = next;
        }
        return nodes;
    }
}
