using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Backup;

/// <summary>
/// Online backup and restore of the embedded gateway as an operator runs them: <c>zkgateway backup</c>
/// against a running gateway (its AdminServer's <c>snapshot</c> command, from ZooKeeper 3.9: 3.8 has
/// none, so there is no 3.8 run to compare with) while clients write, then <c>zkgateway restore</c>
/// into a new data directory and a gateway started on it. The command's authentication answers follow
/// 3.9.4's AdminServer (docs/backup.md).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class BackupScenarios
{
    private static KeyValuePair<string, string>[] Admin(int port, int rateLimitMs = 0) =>
    [
        new("admin.enableServer", "true"),
        new("admin.serverAddress", "127.0.0.1"),
        new("admin.serverPort", port.ToString(CultureInfo.InvariantCulture)),
        new("admin.rateLimiterIntervalInMS", rateLimitMs.ToString(CultureInfo.InvariantCulture)),
    ];

    [Fact]
    public async Task A_backup_taken_while_clients_write_restores_every_write_acknowledged_before_it()
    {
        int adminPort = Net.FreePort();
        // Snapshots every 16 KiB of log: the backup races snapshots and the deletion of old files.
        await using var gateway = new GatewayServer([.. Admin(adminPort), new("snapSizeLimitInKb", "16")]);
        await gateway.StartAsync();
        await using (var setup = await RawZkClient.ConnectAsync(gateway.Port))
        {
            Assert.Equal(ErrorCode.Ok, (await setup.CreateAsync("/bk")).Error);
        }
        // Every acknowledged create with the zxid its reply carried: the backup must hold exactly those
        // at or below the zxid it reports, whatever the timing of the cut.
        var acknowledged = new ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            await using var client = await RawZkClient.ConnectAsync(gateway.Port);
            for (int i = 0; !stop.IsCancellationRequested; i += 4)
            {
                // Four in flight per session, so the cut falls among pipelined batches.
                var batch = Enumerable.Range(i, 4).Select(n => (Path: $"/bk/w{w}-{n:D6}", Reply: client.CreateAsync($"/bk/w{w}-{n:D6}", new byte[100]))).ToList();
                foreach (var (path, reply) in batch)
                {
                    var answer = await reply;
                    Assert.Equal(ErrorCode.Ok, answer.Error);
                    acknowledged[path] = answer.Header.Zxid;
                }
            }
        })).ToList();
        await WaitForAsync(() => acknowledged.Count >= 600);
        string backupFile = Path.Combine(Path.GetTempPath(), $"zkgw-backup-{Guid.NewGuid():N}.bak");
        var backup = await ToolAsync("backup", "--server", $"127.0.0.1:{adminPort}", "--to", backupFile, "--auth", "digest super:" + CompatSettings.SuperPassword);
        // Writes acknowledged after the tool exited come after its cut: the run always has some.
        int atExit = acknowledged.Count;
        await WaitForAsync(() => acknowledged.Count >= atExit + 100);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.True(backup.Exit == 0, $"backup failed ({backup.Exit}): {backup.Output}\n{gateway.Log}");
        Assert.Contains("verified", backup.Output, StringComparison.Ordinal);
        var reported = System.Text.RegularExpressions.Regex.Match(backup.Output, "up to zxid 0x([0-9a-f]+)");
        Assert.True(reported.Success, backup.Output);
        long cutZxid = long.Parse(reported.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

        await using var restored = new GatewayServer();
        try
        {
            var restore = await ToolAsync("restore", "--from", backupFile, "--dataDir", restored.DataDir);
            Assert.True(restore.Exit == 0, $"restore failed ({restore.Exit}): {restore.Output}");
            await restored.StartAsync();
            await using var reader = await RawZkClient.ConnectAsync(restored.Port);
            var children = (await reader.GetChildrenAsync("/bk")).Decode<GetChildrenResponse>().Children!.ToHashSet();
            var expected = acknowledged.Where(a => a.Value <= cutZxid).Select(a => a.Key["/bk/".Length..]).ToHashSet();
            Assert.True(acknowledged.Count > expected.Count, "the run has writes after the backup's cut");
            Assert.True(expected.SetEquals(children),
                $"restored {children.Count} nodes, {expected.Count} acknowledged at or below 0x{cutZxid:x}; missing: {string.Join(",", expected.Except(children).Take(5))}; extra: {string.Join(",", children.Except(expected).Take(5))}");
            foreach (var stream in children.GroupBy(c => c.Split('-')[0]))
            {
                var numbers = stream.Select(c => int.Parse(c.Split('-')[1], CultureInfo.InvariantCulture)).Order().ToList();
                Assert.Equal(Enumerable.Range(0, numbers.Count), numbers); // a prefix of each session's stream: a consistent cut
            }
            // The restored gateway takes writes, with zxids after the restored ones.
            var created = await reader.CreateAsync("/bk/after");
            Assert.Equal(ErrorCode.Ok, created.Error);
        }
        finally
        {
            File.Delete(backupFile);
        }
    }

    [Fact]
    public async Task The_snapshot_command_answers_as_ZooKeeper_3_9_4_without_and_with_credentials()
    {
        int adminPort = Net.FreePort();
        await using var gateway = new GatewayServer(Admin(adminPort));
        await gateway.StartAsync();
        using var http = new HttpClient();
        var url = new Uri($"http://127.0.0.1:{adminPort}/commands/snapshot?streaming=false");
        async Task<(HttpStatusCode Status, string Body)> GetAsync(string? authorization)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var missing = await GetAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Contains("\"error\": \"Auth info is missing for the command\"", missing.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("ip 127.0.0.1")).Status);
        // The root's ACL is world:anyone ALL: any authenticated id may take a snapshot.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("digest bob:any")).Status);

        await using (var owner = await RawZkClient.ConnectAsync(gateway.Port))
        {
            Assert.Equal(ErrorCode.Ok, (await owner.SendAsync(OpCode.Auth, new AuthPacket(0, "digest", Encoding.UTF8.GetBytes("alice:secret")), Xids.Auth)).Error);
            var onlyAlice = new Acl(Perms.All, new Id("auth", ""));
            var readOnly = new Acl(Perms.Read, new Id("world", "anyone"));
            Assert.Equal(ErrorCode.Ok, (await owner.SendAsync(OpCode.SetAcl, new SetACLRequest("/", [onlyAlice, readOnly], -1))).Error);
        }
        var bob = await GetAsync("digest bob:any");
        Assert.Equal(HttpStatusCode.Forbidden, bob.Status);
        Assert.Contains("\"error\": \"Not authorized\"", bob.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync("digest alice:wrong")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("digest alice:secret")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("digest super:" + CompatSettings.SuperPassword)).Status);
    }

    [Fact]
    public async Task The_snapshot_command_is_rate_limited_and_can_be_turned_off()
    {
        int limitedPort = Net.FreePort(), offPort = Net.FreePort();
        await using var limited = new GatewayServer(Admin(limitedPort, rateLimitMs: 300_000));
        await using var off = new GatewayServer([.. Admin(offPort), new("admin.snapshot.enabled", "false")]);
        await limited.StartAsync();
        await off.StartAsync();
        using var http = new HttpClient();
        async Task<HttpStatusCode> GetAsync(int port)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}/commands/snap?streaming=false"));
            request.Headers.TryAddWithoutValidation("Authorization", "digest bob:any");
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await GetAsync(limitedPort));
        Assert.Equal(HttpStatusCode.TooManyRequests, await GetAsync(limitedPort));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetAsync(offPort));

        // The command-line tool reports the refusal and writes nothing.
        string target = Path.Combine(Path.GetTempPath(), $"zkgw-backup-{Guid.NewGuid():N}.bak");
        var refused = await ToolAsync("backup", "--server", $"127.0.0.1:{offPort}", "--to", target, "--auth", "digest bob:any");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("503", refused.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(target) || File.Exists(target + ".partial"));
    }

    [Fact]
    public async Task Restore_refuses_a_damaged_backup_and_a_data_directory_in_use_and_changes_nothing()
    {
        string dir = RepoPaths.NewTempDir("restore");
        string damaged = Path.Combine(dir, "damaged.bak");
        await File.WriteAllBytesAsync(damaged, Encoding.ASCII.GetBytes("ZKGWBAK1 but not really a backup at all, just text"));
        string target = Path.Combine(dir, "data");
        var bad = await ToolAsync("restore", "--from", damaged, "--dataDir", target);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("offset", bad.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));

        Directory.CreateDirectory(target);
        await File.WriteAllTextAsync(Path.Combine(target, "log.0000000000000000"), "in use");
        var busy = await ToolAsync("restore", "--from", damaged, "--dataDir", target);
        Assert.Equal(1, busy.Exit);
        Assert.Contains("already holds data", busy.Output, StringComparison.Ordinal);
        Assert.Equal("in use", await File.ReadAllTextAsync(Path.Combine(target, "log.0000000000000000")));

        var usage = await ToolAsync("restore", "--from", damaged);
        Assert.Equal(2, usage.Exit);
        Assert.Contains("--dataDir", usage.Output, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Runs <c>zkgateway &lt;args&gt;</c> (the built gateway's dll) and returns its exit code and output.</summary>
    private static Task<(int Exit, string Output)> ToolAsync(params string[] args) => GatewayTool.RunAsync(args);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the writers");
            await Task.Delay(10);
        }
    }
}
