using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Admin;

/// <summary>
/// The AdminServer side by side (issue 13): real ZooKeeper 3.8.0 and the gateway, each with a session
/// holding an ephemeral node and data, child and exist watches, answer every command ZooKeeper lists
/// with the same keys and JSON types, recursively; aliases name the same command; an unknown command,
/// another method and a path outside the command URL get the same status and body shape.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed partial class AdminServerScenarios(AdminFixture targets) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [GeneratedRegex("<a href=\"/commands/([a-z_]+)\">")]
    private static partial Regex CommandLink();

    [Theory]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Every_command_zookeeper_lists_answers_with_its_keys_and_types_on_the_gateway(TargetKind gateway)
    {
        var (zk, zkAdmin) = await targets.GetAsync(TargetKind.ZooKeeper);
        var (gw, gwAdmin) = await targets.GetAsync(gateway);
        await using var zkSession = await SessionWithWatchesAsync(zk.Port);
        await using var gwSession = await SessionWithWatchesAsync(gw.Port);

        var zkCommands = await CommandsAsync(zkAdmin);
        var gwCommands = await CommandsAsync(gwAdmin);
        Assert.Equal(zkCommands, gwCommands);
        Assert.Contains("ruok", zkCommands);

        var failures = new List<string>();
        foreach (var command in zkCommands)
        {
            using var expected = await GetJsonAsync(zkAdmin, command);
            using var actual = await GetJsonAsync(gwAdmin, command);
            Func<string, bool> ignore = command switch
            {
                // The JVM's system properties have no .NET counterpart (docs/operations.md).
                "system_properties" => k => k is not ("command" or "error"),
                // Per-namespace summaries appear once a namespace is read or written: their keys are data.
                // ... and the sidecar adds its backend's keys (cost meter, epoch waits) after ZooKeeper's.
                "monitor" => k => k.EndsWith("_per_namespace", StringComparison.Ordinal)
                    || (gateway == TargetKind.AwsGateway && (k.StartsWith("cost_", StringComparison.Ordinal) || k.StartsWith("epoch_", StringComparison.Ordinal))),
                _ => _ => false,
            };
            failures.AddRange(JsonShapes.Differences(expected.RootElement, actual.RootElement, ignore, command));
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [InlineData("srvr")]
    [InlineData("stat")]
    [InlineData("mntr")]
    [InlineData("conf")]
    [InlineData("config")]
    [InlineData("cons")]
    [InlineData("envi")]
    [InlineData("env")]
    [InlineData("wchs")]
    [InlineData("wchc")]
    [InlineData("wchp")]
    [InlineData("isro")]
    [InlineData("srst")]
    [InlineData("crst")]
    [InlineData("lsnp")]
    [InlineData("gtmk")]
    [InlineData("icfg")]
    [InlineData("obsr")]
    [InlineData("lead")]
    public async Task An_alias_answers_as_its_command_does(string alias)
    {
        var (_, zkAdmin) = await targets.GetAsync(TargetKind.ZooKeeper);
        var (_, gwAdmin) = await targets.GetAsync(TargetKind.Gateway);
        using var expected = await GetJsonAsync(zkAdmin, alias);
        using var actual = await GetJsonAsync(gwAdmin, alias);
        Assert.Equal(expected.RootElement.GetProperty("command").GetString(), actual.RootElement.GetProperty("command").GetString());
        Assert.Equal(expected.RootElement.GetProperty("error").ValueKind, actual.RootElement.GetProperty("error").ValueKind);
    }

    [Theory]
    [InlineData("nosuch")]
    [InlineData("RUOK")]
    [InlineData("ruok/extra")]
    public async Task An_unknown_command_gets_200_and_zookeepers_error_body(string name)
    {
        var (_, zkAdmin) = await targets.GetAsync(TargetKind.ZooKeeper);
        var (_, gwAdmin) = await targets.GetAsync(TargetKind.Gateway);
        var (zkStatus, zkBody) = await GetAsync(zkAdmin, "/commands/" + name);
        var (gwStatus, gwBody) = await GetAsync(gwAdmin, "/commands/" + name);
        Assert.Equal(HttpStatusCode.OK, zkStatus);
        Assert.Equal(zkStatus, gwStatus);
        using var expected = JsonDocument.Parse(zkBody);
        using var actual = JsonDocument.Parse(gwBody);
        Assert.Empty(JsonShapes.Differences(expected.RootElement, actual.RootElement));
        Assert.Equal(expected.RootElement.GetProperty("error").GetString(), actual.RootElement.GetProperty("error").GetString());
        Assert.Equal(expected.RootElement.GetProperty("command").GetString(), actual.RootElement.GetProperty("command").GetString());
    }

    [Theory]
    [InlineData("POST", "/commands/ruok")]
    [InlineData("PUT", "/commands/ruok")]
    [InlineData("DELETE", "/commands/stat")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/commandsx")]
    [InlineData("HEAD", "/commands/ruok")]
    [InlineData("GET", "/commands/")]
    [InlineData("GET", "/commands?cmd=ruok")]
    [InlineData("GET", "/commands/ruok?cmd=stat")]
    public async Task Methods_and_paths_get_zookeepers_status_and_kind_of_body(string method, string path)
    {
        var (_, zkAdmin) = await targets.GetAsync(TargetKind.ZooKeeper);
        var (_, gwAdmin) = await targets.GetAsync(TargetKind.Gateway);
        var (zkStatus, zkBody) = await SendAsync(new HttpMethod(method), zkAdmin, path);
        var (gwStatus, gwBody) = await SendAsync(new HttpMethod(method), gwAdmin, path);
        Assert.Equal(zkStatus, gwStatus);
        if (zkStatus == HttpStatusCode.OK)
        {
            // The links page, or a command's JSON: the command a query names is not run (3.8.0 has no ?cmd= form).
            Assert.Equal(zkBody.StartsWith("<a href=", StringComparison.Ordinal), gwBody.StartsWith("<a href=", StringComparison.Ordinal));
            Assert.Equal(zkBody.StartsWith('{'), gwBody.StartsWith('{'));
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task A_kubernetes_http_probe_on_ruok_gets_200_and_no_error(TargetKind kind)
    {
        var (_, admin) = await targets.GetAsync(kind);
        var (status, body) = await GetAsync(admin, "/commands/ruok");
        Assert.Equal(HttpStatusCode.OK, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("ruok", json.RootElement.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("error").ValueKind);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task The_watch_commands_list_the_sessions_watches_and_dump_its_ephemeral(TargetKind kind)
    {
        var (target, admin) = await targets.GetAsync(kind);
        await using var session = await SessionWithWatchesAsync(target.Port);
        string sid = session.Client.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var watches = await GetJsonAsync(admin, "watches");
        // 3.8.0 keeps them in a HashSet: the order is not part of the answer.
        var paths = watches.RootElement.GetProperty("session_id_to_watched_paths").GetProperty(sid).EnumerateArray().Select(p => p.GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([session.Root, session.Root + "/missing"], paths);
        using var byPath = await GetJsonAsync(admin, "watches_by_path");
        Assert.Contains(session.Client.SessionId, byPath.RootElement.GetProperty("path_to_session_ids").GetProperty(session.Root).EnumerateArray().Select(x => x.GetInt64()));
        using var dump = await GetJsonAsync(admin, "dump");
        var ephemerals = dump.RootElement.GetProperty("session_id_to_ephemeral_paths").GetProperty(sid).EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Equal([session.Root + "/e"], ephemerals);
    }

    [Fact]
    public async Task Mntr_prints_the_keys_of_the_monitor_command_as_zookeeper_does()
    {
        var (zk, _) = await targets.GetAsync(TargetKind.ZooKeeper);
        var (gw, _) = await targets.GetAsync(TargetKind.Gateway);
        static async Task<List<string>> KeysAsync(int port) =>
            [.. (await Net.FourLetterAsync(port, "mntr", TimeSpan.FromSeconds(5)) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l[..l.IndexOf('\t', StringComparison.Ordinal)])
                .Where(k => !k.EndsWith("_per_namespace", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)];
        var expected = await KeysAsync(zk.Port);
        Assert.Contains("zk_avg_readlatency", expected);
        Assert.Equal(expected, await KeysAsync(gw.Port));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task The_four_letter_words_wchc_wchp_and_dump_list_the_same(TargetKind kind)
    {
        var (target, _) = await targets.GetAsync(kind);
        await using var session = await SessionWithWatchesAsync(target.Port);
        string sid = "0x" + session.Client.SessionId.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        string wchc = await Net.FourLetterAsync(target.Port, "wchc", TimeSpan.FromSeconds(5)) ?? "";
        Assert.Contains($"{sid}\n", wchc, StringComparison.Ordinal);
        Assert.Contains($"\t{session.Root}/missing\n", wchc, StringComparison.Ordinal);
        string wchp = await Net.FourLetterAsync(target.Port, "wchp", TimeSpan.FromSeconds(5)) ?? "";
        Assert.Contains($"{session.Root}\n\t{sid}\n", wchp, StringComparison.Ordinal);
        string dump = await Net.FourLetterAsync(target.Port, "dump", TimeSpan.FromSeconds(5)) ?? "";
        Assert.Contains($"{sid}:\n\t{session.Root}/e\n", dump, StringComparison.Ordinal);
        Assert.Contains($"\t{sid}\n", dump[..dump.IndexOf("ephemeral nodes dump:", StringComparison.Ordinal)], StringComparison.Ordinal);
    }

    /// <summary>A session with /adm-*/e (ephemeral), a data and a child watch on the root and an exist watch on a missing node.</summary>
    private static async Task<WatchingSession> SessionWithWatchesAsync(int port)
    {
        var client = await RawZkClient.ConnectAsync(port);
        string root = "/adm-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(root, "x"u8.ToArray())).Error);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(root + "/child")).Error);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(root + "/e", null, CreateMode.Ephemeral)).Error);
        Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync(root, watch: true)).Error);
        Assert.Equal(ErrorCode.Ok, (await client.GetChildrenAsync(root, watch: true)).Error);
        Assert.Equal(ErrorCode.NoNode, (await client.ExistsAsync(root + "/missing", watch: true)).Error);
        return new WatchingSession(client, root);
    }

    private sealed record WatchingSession(RawZkClient Client, string Root) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }

    private async Task<List<string>> CommandsAsync(int adminPort)
    {
        var (status, body) = await GetAsync(adminPort, "/commands");
        Assert.Equal(HttpStatusCode.OK, status);
        return [.. CommandLink().Matches(body).Select(m => m.Groups[1].Value)];
    }

    private async Task<JsonDocument> GetJsonAsync(int adminPort, string command)
    {
        var (status, body) = await GetAsync(adminPort, "/commands/" + command);
        Assert.Equal(HttpStatusCode.OK, status);
        return JsonDocument.Parse(body);
    }

    private Task<(HttpStatusCode Status, string Body)> GetAsync(int port, string path) => SendAsync(HttpMethod.Get, port, path);

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, int port, string path)
    {
        using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{port}{path}");
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _http.Dispose();
}
