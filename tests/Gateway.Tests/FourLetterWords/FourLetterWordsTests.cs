using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tests.FourLetterWordTests;

public sealed class FourLetterWordsTests
{
    // go-zookeeper flw.go FLWSrvr, reimplemented (Go's (?m) ^ and \A map to .NET Multiline).
    private static readonly Regex GoSrvr = new(
        @"\A^Zookeeper version: ([A-Za-z0-9\.\-]+), built on (\d\d/\d\d/\d\d\d\d \d\d:\d\d [A-Za-z0-9:\+\-]+).*\n" +
        @"^Latency min/avg/max: (\d+)/([0-9.]+)/(\d+).*\n" +
        @"^Received: (\d+).*\n^Sent: (\d+).*\n^Connections: (\d+).*\n^Outstanding: (\d+).*\n" +
        @"^Zxid: (0x[A-Za-z0-9]+).*\n^Mode: (\w+).*\n^Node count: (\d+)",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    // go-zookeeper flw.go FLWCons, per line.
    private static readonly Regex GoCons = new(
        @"^ /((?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?):(?:\d+))\[\d+\]" +
        @"\(queued=(\d+),recved=(\d+),sent=(\d+),sid=(0x[A-Za-z0-9]+),lop=(\w+),est=(\d+),to=(\d+)," +
        @"lcxid=(0x[A-Za-z0-9]+),lzxid=(0x[A-Za-z0-9]+),lresp=(\d+),llat=(\d+),minlat=(\d+),avglat=(\d+),maxlat=(\d+)\)",
        RegexOptions.CultureInvariant);

    private static readonly GatewayOptions All = ZooCfg.Parse(["--4lw.commands.whitelist=*"]);

    private static readonly DateTimeOffset Est = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_123);

    private static ConnectionSnapshot Conn(long sid = 0x1000abc00000001, long cxid = 5) => new()
    {
        RemoteEndPoint = new IPEndPoint(IPAddress.Parse("127.0.0.1"), 54321),
        SessionId = sid,
        SessionTimeout = 30000,
        Queued = 0,
        PacketsReceived = 12,
        PacketsSent = 11,
        LastOperation = "GETD",
        LastCxid = cxid,
        LastZxid = 0x10000002a,
        LastResponseTime = 1_764_000_001_000,
        LastLatency = 1,
        MinLatency = 0,
        AvgLatency = 1,
        MaxLatency = 3,
        Established = Est,
    };

    private static ServerSnapshot Snap() => new()
    {
        Zxid = 0x10000002a,
        NodeCount = 7,
        Connections = [Conn(), Conn(sid: 0x2a, cxid: -1)],
        MinLatency = 0,
        AvgLatency = 0.33333,
        MaxLatency = 12,
        PacketsReceived = 100,
        PacketsSent = 99,
        Outstanding = 1,
        WatchingConnections = 2,
        WatchedPaths = 3,
        WatchCount = 4,
        EphemeralsCount = 1,
        ApproximateDataSize = 1234,
        Uptime = TimeSpan.FromSeconds(5),
        SessionCount = 2,
        OpenFileDescriptorCount = 42,
        MaxFileDescriptorCount = 1024,
    };

    private static string[] Lines(string s) => s.Split('\n');

    [Fact]
    public void Only_zookeepers_lowercase_command_names_are_four_letter_words()
    {
        string[] expected = ["ruok", "srvr", "stat", "mntr", "envi", "conf", "cons", "wchs", "wchc", "wchp", "dump", "crst", "srst", "dirs", "isro", "gtmk", "stmk", "hash"];
        foreach (var c in expected)
        {
            Assert.True(FourLetterWords.TryGetCommand(Encoding.ASCII.GetBytes(c), out var cmd));
            Assert.Equal(c, cmd);
        }
        Assert.Equal(expected.Order(), FourLetterWords.All.Order());
        Assert.False(FourLetterWords.TryGetCommand("RUOK"u8, out _));
        Assert.False(FourLetterWords.TryGetCommand("abc"u8, out _));
        Assert.False(FourLetterWords.TryGetCommand([0, 0, 0, 45], out _)); // a ConnectRequest frame length
    }

    [Fact]
    public void A_command_outside_the_whitelist_is_refused_in_zookeepers_words_but_srvr_always_runs()
    {
        var def = new GatewayOptions();
        Assert.Equal("ruok is not executed because it is not in the whitelist.\n", FourLetterWords.Respond("ruok", Snap(), def));
        Assert.Equal("mntr is not executed because it is not in the whitelist.\n", FourLetterWords.Respond("mntr", Snap(), def));
        Assert.StartsWith("Zookeeper version: ", FourLetterWords.Respond("srvr", Snap(), def), StringComparison.Ordinal);
    }

    [Fact]
    public void Ruok_isro_gtmk_and_stmk_give_their_one_word_answers()
    {
        Assert.Equal("imok", FourLetterWords.Respond("ruok", Snap(), All));
        Assert.Equal("rw", FourLetterWords.Respond("isro", Snap(), All));
        Assert.Equal("306", FourLetterWords.Respond("gtmk", Snap(), All));
        Assert.Equal("8", FourLetterWords.Respond("stmk", Snap(), All, stmkArgument: 8));
    }

    [Fact]
    public void Srvr_prints_zookeepers_lines_in_a_form_go_zk_parses()
    {
        string r = FourLetterWords.Respond("srvr", Snap(), All);
        Assert.Equal(
            [
                "Zookeeper version: 3.8.0-ZkGateway, built on 11/26/2026 00:00 GMT",
                "Latency min/avg/max: 0/0.3333/12",
                "Received: 100",
                "Sent: 99",
                "Connections: 2",
                "Outstanding: 1",
                "Zxid: 0x10000002a",
                "Mode: standalone",
                "Node count: 7",
                "",
            ],
            Lines(r));
        var m = GoSrvr.Match(r);
        Assert.True(m.Success);
        Assert.Equal("3.8.0-ZkGateway", m.Groups[1].Value);
        Assert.Equal("standalone", m.Groups[11].Value);
        // go-zk parses the date with "01/02/2006 15:04 MST".
        Assert.True(DateTime.TryParseExact(m.Groups[2].Value, "MM/dd/yyyy HH:mm 'GMT'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _));
    }

    [Fact]
    public void Srvr_of_a_server_with_no_traffic_still_parses_in_go_zk()
    {
        string r = FourLetterWords.Respond("srvr", new ServerSnapshot(), new GatewayOptions());
        Assert.Matches(GoSrvr, r);
        Assert.Contains("Latency min/avg/max: 0/0.0/0\n", r, StringComparison.Ordinal);
    }

    [Fact]
    public void Stat_lists_the_clients_before_the_server_statistics()
    {
        string[] l = Lines(FourLetterWords.Respond("stat", Snap(), All));
        Assert.Equal("Zookeeper version: 3.8.0-ZkGateway, built on 11/26/2026 00:00 GMT", l[0]);
        Assert.Equal("Clients:", l[1]);
        Assert.Equal(" /127.0.0.1:54321[1](queued=0,recved=12,sent=11)", l[2]);
        Assert.Equal(" /127.0.0.1:54321[1](queued=0,recved=12,sent=11)", l[3]);
        Assert.Equal("", l[4]);
        Assert.Equal("Latency min/avg/max: 0/0.3333/12", l[5]);
        Assert.Contains("Mode: standalone", l);
        Assert.Equal("Node count: 7", l[^2]);
    }

    [Fact]
    public void Cons_prints_one_zookeeper_line_per_connection_that_go_zk_parses()
    {
        string r = FourLetterWords.Respond("cons", Snap() with { Connections = [Conn()] }, All);
        string[] l = Lines(r);
        Assert.Equal(
            " /127.0.0.1:54321[1](queued=0,recved=12,sent=11,sid=0x1000abc00000001,lop=GETD,est=1764000000123,to=30000," +
            "lcxid=0x5,lzxid=0x10000002a,lresp=1764000001000,llat=1,minlat=0,avglat=1,maxlat=3)",
            l[0]);
        Assert.Equal(["", ""], l[1..]); // line, blank line, end
        var m = GoCons.Match(l[0]);
        Assert.True(m.Success);
        Assert.Equal("127.0.0.1:54321", m.Groups[1].Value);
        Assert.Equal("GETD", m.Groups[6].Value);
    }

    [Fact]
    public void Cons_leaves_out_lcxid_before_the_first_request_and_is_brief_before_the_handshake()
    {
        string line = Lines(FourLetterWords.Respond("cons", new ServerSnapshot { Connections = [Conn(cxid: -1) with { LastZxid = -1 }] }, All))[0];
        Assert.Contains(",to=30000,lzxid=0xffffffffffffffff,", line, StringComparison.Ordinal);
        string pre = Lines(FourLetterWords.Respond("cons", new ServerSnapshot { Connections = [Conn(sid: 0) with { InterestOps = 0 }] }, All))[0];
        Assert.Equal(" /127.0.0.1:54321[0](queued=0,recved=12,sent=11)", pre);
    }

    [Fact]
    public void Cons_prints_a_mapped_ipv6_address_as_ipv4_and_ipv6_as_java_does()
    {
        var mapped = Conn() with { RemoteEndPoint = new IPEndPoint(IPAddress.Parse("::ffff:10.1.2.3"), 7) };
        Assert.StartsWith(" /10.1.2.3:7[1](", FourLetterWords.Respond("cons", new ServerSnapshot { Connections = [mapped] }, All), StringComparison.Ordinal);
        Assert.Equal("/0:0:0:0:0:0:0:1:9", FourLetterWords.FormatEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 9)));
    }

    [Fact]
    public void Wchs_counts_connections_paths_and_watches()
    {
        Assert.Equal("2 connections watching 3 paths\nTotal watches:4\n", FourLetterWords.Respond("wchs", Snap(), All));
    }

    [Fact]
    public void Wchc_lists_paths_by_session_and_wchp_sessions_by_path()
    {
        var s = Snap() with
        {
            WatchesBySession = new Dictionary<long, IReadOnlyList<string>> { [0x2a] = ["/a", "/b"] },
            WatchesByPath = new Dictionary<string, IReadOnlyList<long>> { ["/a"] = [0x2a] },
        };
        Assert.Equal("0x2a\n\t/a\n\t/b\n\n", FourLetterWords.Respond("wchc", s, All));
        Assert.Equal("/a\n\t0x2a\n\n", FourLetterWords.Respond("wchp", s, All));
    }

    [Fact]
    public void Mntr_prints_tab_separated_zk_keys_with_the_server_statistics()
    {
        string r = FourLetterWords.Respond("mntr", Snap(), All);
        var kv = Lines(r).Where(x => x.Length > 0).Select(x => x.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        Assert.All(Lines(r).Where(x => x.Length > 0), x => Assert.Matches(@"^zk_[a-z_]+\t[^\t]+$", x));
        Assert.Equal("3.8.0-ZkGateway, built on 11/26/2026 00:00 GMT", kv["zk_version"]);
        Assert.Equal("standalone", kv["zk_server_state"]);
        Assert.Equal("0.3333", kv["zk_avg_latency"]);
        Assert.Equal("12", kv["zk_max_latency"]);
        Assert.Equal("0", kv["zk_min_latency"]);
        Assert.Equal("100", kv["zk_packets_received"]);
        Assert.Equal("99", kv["zk_packets_sent"]);
        Assert.Equal("2", kv["zk_num_alive_connections"]);
        Assert.Equal("1", kv["zk_outstanding_requests"]);
        Assert.Equal("7", kv["zk_znode_count"]);
        Assert.Equal("4", kv["zk_watch_count"]);
        Assert.Equal("1", kv["zk_ephemerals_count"]);
        Assert.Equal("1234", kv["zk_approximate_data_size"]);
        Assert.Equal("42", kv["zk_open_file_descriptor_count"]);
        Assert.Equal("1024", kv["zk_max_file_descriptor_count"]);
        Assert.Equal("5000", kv["zk_uptime"]);
        Assert.Equal("2", kv["zk_global_sessions"]);
        Assert.Equal("0", kv["zk_local_sessions"]);
        Assert.StartsWith("zk_version\t", r, StringComparison.Ordinal);
        Assert.EndsWith("\n", r, StringComparison.Ordinal);
    }

    [Fact]
    public void Mntr_reads_the_file_descriptor_counts_from_proc_on_linux()
    {
        string r = FourLetterWords.Respond("mntr", new ServerSnapshot(), All);
        if (OperatingSystem.IsLinux())
        {
            Assert.Matches(@"zk_open_file_descriptor_count\t[1-9]\d*\n", r);
            Assert.Matches(@"zk_max_file_descriptor_count\t[1-9]\d*\n", r);
        }
    }

    [Fact]
    public void Envi_lists_javas_keys_and_a_version_kazoo_can_parse()
    {
        string[] l = Lines(FourLetterWords.Respond("envi", Snap(), All));
        Assert.Equal("Environment:", l[0]);
        Assert.Equal("zookeeper.version=3.8.0-ZkGateway, built on 11/26/2026 00:00 GMT", l[1]);
        Assert.All(l[1..^1], x => Assert.Matches(@"^[a-z.]+=.+$", x));
        var keys = l[1..^1].Select(x => x[..x.IndexOf('=', StringComparison.Ordinal)]).ToList();
        Assert.Equal(
            ["zookeeper.version", "host.name", "java.version", "java.vendor", "java.home", "java.class.path", "java.library.path",
             "java.io.tmpdir", "java.compiler", "os.name", "os.arch", "os.version", "user.name", "user.home", "user.dir",
             "os.memory.free", "os.memory.max", "os.memory.total"],
            keys);
        Assert.Contains("user.dir=" + Environment.CurrentDirectory, l);
        // kazoo: version = value.split("-")[0] → "3.8.0"
        Assert.Equal("3.8.0", l[1]["zookeeper.version=".Length..].Split('-')[0]);
    }

    [Fact]
    public void Conf_prints_the_effective_values_and_never_the_super_digest()
    {
        var o = ZooCfg.Parse(["--4lw.commands.whitelist=*", "--tickTime=1000", "--dataDir=/tmp/zkgw-conf", "--clientPort=2999",
            "--zookeeper.DigestAuthenticationProvider.superDigest=super:secret", "--initLimit=5"]);
        string[] l = Lines(FourLetterWords.Respond("conf", new ServerSnapshot(), o));
        Assert.Equal(
            ["clientPort=2999", "secureClientPort=-1", "dataDir=/tmp/zkgw-conf", "dataDirSize=0", "dataLogDir=/tmp/zkgw-conf",
             "dataLogSize=0", "tickTime=1000", "maxClientCnxns=60", "minSessionTimeout=2000", "maxSessionTimeout=20000",
             "clientPortListenBacklog=-1", "serverId=0"],
            l[..12]);
        Assert.Contains("initLimit=5", l);
        Assert.Contains("4lw.commands.whitelist=*", l);
        Assert.DoesNotContain(l, x => x.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Crst_srst_dirs_hash_and_dump_answer_in_zookeepers_words()
    {
        Assert.Equal("Connection stats reset.\n", FourLetterWords.Respond("crst", Snap(), All));
        Assert.Equal("Server stats reset.\n", FourLetterWords.Respond("srst", Snap(), All));
        Assert.Equal("datadir_size: 10\nlogdir_size: 20\n", FourLetterWords.Respond("dirs", Snap() with { DataDirSize = 10, LogDirSize = 20 }, All));
        Assert.Equal("", FourLetterWords.Respond("hash", Snap(), All));
        var at = new DateTimeOffset(2026, 11, 26, 18, 34, 28, TimeSpan.Zero);
        string dump = FourLetterWords.Respond("dump", Snap() with
        {
            Sessions = [new SessionSnapshot(0x2a, 30000, at)],
            EphemeralsBySession = new Dictionary<long, IReadOnlyList<string>> { [0x2a] = ["/e"] },
        }, All);
        Assert.Equal(
            "SessionTracker dump:\nSession Sets (1)/(1):\n1 expire at Thu Nov 26 18:34:28 UTC 2026:\n\t0x2a\n" +
            "ephemeral nodes dump:\nSessions with Ephemerals (1):\n0x2a:\n\t/e\nConnections dump:\n",
            dump);
    }

    [Fact]
    public void A_server_not_running_says_it_is_not_serving_except_to_ruok_and_isro()
    {
        var s = Snap() with { IsRunning = false };
        Assert.Equal("This ZooKeeper instance is not currently serving requests\n", FourLetterWords.Respond("srvr", s, All));
        Assert.Equal("This ZooKeeper instance is not currently serving requests\n", FourLetterWords.Respond("mntr", s, All));
        Assert.Equal("imok", FourLetterWords.Respond("ruok", s, All));
        Assert.Equal("null", FourLetterWords.Respond("isro", s, All));
    }

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(2.0, "2.0")]
    [InlineData(1.5, "1.5")]
    [InlineData(0.123456, "0.1235")]
    public void Doubles_are_printed_as_java_prints_them(double v, string expected) => Assert.Equal(expected, FourLetterWords.JavaDouble(v));
}
