using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tests.Hosting;

public sealed class ZooCfgTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zkgw-cfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteCfg(string text)
    {
        string path = Path.Combine(_dir, "zoo.cfg");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_defaults_are_zookeepers()
    {
        var o = ZooCfg.Parse([]);
        Assert.Equal(2181, o.ClientPort);
        Assert.Equal("127.0.0.1", o.ClientPortAddress);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "zkdata"), o.DataDir);
        Assert.Equal(2000, o.TickTime);
        Assert.Equal(4000, o.EffectiveMinSessionTimeout);
        Assert.Equal(40000, o.EffectiveMaxSessionTimeout);
        Assert.Equal(60, o.MaxClientCnxns);
        Assert.Equal(0xfffff, o.JuteMaxBuffer);
        Assert.Equal(["srvr"], o.FourLetterWordWhitelist.ToArray());
        Assert.False(o.ExtendedTypesEnabled);
        Assert.Equal(0, o.ServerId);
        Assert.Empty(o.Raw);
    }

    [Fact]
    public void Inline_scheduling_is_on_for_the_embedded_backend_and_off_for_aws_unless_set()
    {
        Assert.True(ZooCfg.Parse([]).UsesInlineScheduling);
        Assert.False(ZooCfg.Parse(["--backend=aws"]).UsesInlineScheduling);
        Assert.False(ZooCfg.Parse(["--inlineScheduling=false"]).UsesInlineScheduling);
        Assert.True(ZooCfg.Parse(["--backend=aws", "--inlineScheduling=true"]).UsesInlineScheduling);
    }

    [Fact]
    public void Epoch_wait_defaults_to_two_seconds_and_takes_a_positive_value()
    {
        Assert.Equal(2000, ZooCfg.Parse([]).EpochWaitMs);
        Assert.Equal(15000, ZooCfg.Parse(["--epochWaitMs=15000"]).EpochWaitMs);
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--epochWaitMs=0"]));
    }

    [Fact]
    public void Memory_trim_waits_a_second_of_quiet_by_default_and_zero_turns_it_off()
    {
        Assert.Equal(1000, ZooCfg.Parse([]).MemoryTrimIdleMs);
        Assert.Equal(0, ZooCfg.Parse(["--memoryTrimIdleMs=0"]).MemoryTrimIdleMs);
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--memoryTrimIdleMs=-1"]));
    }

    [Fact]
    public void Liveness_renewal_defaults_to_ninety_seconds_and_takes_a_positive_value()
    {
        Assert.Equal(90_000, ZooCfg.Parse([]).LivenessRenewalMs);
        Assert.Equal(1000, ZooCfg.Parse(["--livenessRenewalMs=1000"]).LivenessRenewalMs);
        Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--livenessRenewalMs=0"]));
    }

    [Fact]
    public void The_file_is_read_as_java_properties_comments_separators_trimming_and_the_later_key_winning()
    {
        var kv = ZooCfg.ParseProperties(
            "# comment\n! also comment\n\n  tickTime = 3000  \nclientPort:2182\ndataDir /tmp/x\r\ntickTime=4000\nempty=\nmulti=a,\\\n  b\n");
        Assert.Equal(
            [
                new("tickTime", "3000"), new("clientPort", "2182"), new("dataDir", "/tmp/x"),
                new("tickTime", "4000"), new("empty", ""), new("multi", "a,b"),
            ],
            kv.ToArray());
        var o = ZooCfg.ParseText("tickTime=3000\ntickTime=4000\n");
        Assert.Equal(4000, o.TickTime);
        Assert.Equal(8000, o.EffectiveMinSessionTimeout);
        Assert.Equal(80000, o.EffectiveMaxSessionTimeout);
    }

    [Fact]
    public void Every_known_key_is_read_from_the_config_file()
    {
        string path = WriteCfg("""
            tickTime=1000
            clientPort=2999
            clientPortAddress=0.0.0.0
            dataDir=/var/lib/zk
            dataLogDir=/var/log/zk
            minSessionTimeout=1500
            maxSessionTimeout=90000
            maxClientCnxns=0
            jute.maxbuffer=0x200000
            4lw.commands.whitelist=ruok, stat ,mntr
            zookeeper.extendedTypesEnabled=true
            initLimit=10
            """);
        var o = ZooCfg.Parse(["--config", path]);
        Assert.Equal(1000, o.TickTime);
        Assert.Equal(2999, o.ClientPort);
        Assert.Equal("0.0.0.0", o.ClientPortAddress);
        Assert.Equal("/var/lib/zk", o.DataDir);
        Assert.Equal("/var/log/zk", o.EffectiveDataLogDir);
        Assert.Equal(1500, o.EffectiveMinSessionTimeout);
        Assert.Equal(90000, o.EffectiveMaxSessionTimeout);
        Assert.Equal(0, o.MaxClientCnxns);
        Assert.Equal(0x200000, o.JuteMaxBuffer);
        Assert.Equal(new HashSet<string> { "ruok", "stat", "mntr" }, o.FourLetterWordWhitelist);
        Assert.True(o.ExtendedTypesEnabled);
        Assert.Equal("10", o.Raw["initLimit"]);
        Assert.Equal("2999", o.Raw["clientPort"]);
    }

    [Fact]
    public void The_command_line_overrides_the_file_in_both_of_its_forms()
    {
        string path = WriteCfg("clientPort=2999\ntickTime=1000\n");
        var a = ZooCfg.Parse([$"--config={path}", "--clientPort=3000"]);
        var b = ZooCfg.Parse(["--clientPort=3000", "--config", path]);
        foreach (var o in new[] { a, b })
        {
            Assert.Equal(3000, o.ClientPort);
            Assert.Equal(1000, o.TickTime);
            Assert.Equal("3000", o.Raw["clientPort"]);
        }
    }

    [Fact]
    public void A_bare_config_path_and_dash_D_properties_are_accepted()
    {
        string path = WriteCfg("clientPort=2999\n");
        var o = ZooCfg.Parse([path, "-Dzookeeper.4lw.commands.whitelist=*", "--verbose"]);
        Assert.Equal(2999, o.ClientPort);
        Assert.True(o.IsFourLetterWordEnabled("cons"));
        Assert.True(o.Verbose);
    }

    [Fact]
    public void The_super_digest_and_unknown_keys_are_kept_as_given()
    {
        var o = ZooCfg.Parse(["--zookeeper.DigestAuthenticationProvider.superDigest=super:abc=", "--foo.bar=baz"]);
        Assert.Equal("super:abc=", o.Raw[ZooCfg.Keys.SuperDigest]);
        Assert.Equal("baz", o.Raw["foo.bar"]);
    }

    [Fact]
    public void The_whitelist_enables_the_words_it_names_a_star_enables_all_and_srvr_is_always_enabled()
    {
        var def = ZooCfg.Parse([]);
        Assert.True(def.IsFourLetterWordEnabled("srvr"));
        Assert.False(def.IsFourLetterWordEnabled("ruok"));
        var star = ZooCfg.Parse(["--4lw.commands.whitelist=*"]);
        Assert.All(FourLetterWords.All, c => Assert.True(star.IsFourLetterWordEnabled(c)));
        var some = ZooCfg.Parse(["--4lw.commands.whitelist=ruok"]);
        Assert.True(some.IsFourLetterWordEnabled("ruok"));
        Assert.True(some.IsFourLetterWordEnabled("srvr"));
        Assert.False(some.IsFourLetterWordEnabled("stat"));
    }

    [Fact]
    public void The_container_reaper_keys_are_zookeepers_system_properties()
    {
        var def = ZooCfg.Parse([]);
        Assert.Equal(60_000, def.ContainerCheckIntervalMs);
        Assert.Equal(10_000, def.ContainerMaxPerMinute);
        Assert.Equal(0, def.ContainerMaxNeverUsedIntervalMs);
        var o = ZooCfg.Parse(["--znode.container.checkIntervalMs=1000", "-Dznode.container.maxPerMinute=600", "--znode.container.maxNeverUsedIntervalMs=86400000000"]);
        Assert.Equal(1000, o.ContainerCheckIntervalMs);
        Assert.Equal(600, o.ContainerMaxPerMinute);
        Assert.Equal(86_400_000_000, o.ContainerMaxNeverUsedIntervalMs);
    }

    [Theory]
    [InlineData("--znode.container.checkIntervalMs=0", "znode.container.checkIntervalMs")]
    [InlineData("--znode.container.maxPerMinute=0", "znode.container.maxPerMinute")]
    [InlineData("--znode.container.maxNeverUsedIntervalMs=-1", "znode.container.maxNeverUsedIntervalMs")]
    [InlineData("--clientPort=abc", "clientPort")]
    [InlineData("--clientPort=70000", "clientPort")]
    [InlineData("--tickTime=0", "tickTime")]
    [InlineData("--tickTime=", "tickTime")]
    [InlineData("--minSessionTimeout=-5", "minSessionTimeout")]
    [InlineData("--maxClientCnxns=-1", "maxClientCnxns")]
    [InlineData("--jute.maxbuffer=lots", "jute.maxbuffer")]
    [InlineData("--clientPortAddress=localhost", "clientPortAddress")]
    [InlineData("--zookeeper.extendedTypesEnabled=yes", "zookeeper.extendedTypesEnabled")]
    [InlineData("--dataDir=", "dataDir")]
    public void A_bad_value_is_refused_naming_its_key(string arg, string key)
    {
        var e = Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse([arg]));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Equal(key, e.Key);
    }

    [Fact]
    public void A_minimum_session_timeout_above_the_maximum_is_refused()
    {
        var e = Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--minSessionTimeout=50000", "--maxSessionTimeout=10000"]));
        Assert.Contains("minSessionTimeout", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_and_a_missing_file_are_clear_errors()
    {
        Assert.Contains("--config", Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--config"])).Message, StringComparison.Ordinal);
        Assert.Contains("--nonsense", Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--nonsense"])).Message, StringComparison.Ordinal);
        string missing = Path.Combine(_dir, "nope.cfg");
        Assert.Contains(missing, Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse(["--config", missing])).Message, StringComparison.Ordinal);
    }
}
