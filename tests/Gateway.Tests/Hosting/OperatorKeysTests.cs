using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tests.Hosting;

/// <summary>The admin.* and metricsProvider.* keys: 3.8.0's defaults, both spellings, bad values refused.</summary>
public sealed class OperatorKeysTests
{
    [Fact]
    public void Defaults_are_zookeeper_380s()
    {
        var o = ZooCfg.Parse([]);
        Assert.True(o.Admin.Enabled);
        Assert.Equal("0.0.0.0", o.Admin.Address);
        Assert.Equal(8080, o.Admin.Port);
        Assert.Equal("/commands", o.Admin.CommandUrl);
        Assert.Equal(30_000, o.Admin.IdleTimeoutMs);
        Assert.False(o.MetricsProvider.PrometheusEnabled);
        Assert.Equal("0.0.0.0", o.MetricsProvider.HttpHost);
        Assert.Equal(7000, o.MetricsProvider.HttpPort);
        Assert.True(o.MetricsProvider.ExportRuntimeInfo);
    }

    [Fact]
    public void Zoo_cfg_and_system_property_spellings_set_the_same_keys()
    {
        var file = ZooCfg.ParseText("admin.serverPort=9090\nadmin.commandURL=/ops\nadmin.enableServer=false\nadmin.idleTimeout=5000\n");
        var properties = ZooCfg.Parse(["-Dzookeeper.admin.serverPort=9090", "-Dzookeeper.admin.commandURL=/ops", "-Dzookeeper.admin.enableServer=false", "-Dzookeeper.admin.idleTimeout=5000"]);
        foreach (var o in new[] { file, properties })
        {
            Assert.Equal(9090, o.Admin.Port);
            Assert.Equal("/ops", o.Admin.CommandUrl);
            Assert.False(o.Admin.Enabled);
            Assert.Equal(5000, o.Admin.IdleTimeoutMs);
        }
    }

    [Theory]
    [InlineData("TRUE", true)]
    [InlineData("true", true)]
    [InlineData("yes", false)]
    [InlineData("", false)]
    public void EnableServer_reads_like_javas_parseBoolean(string value, bool enabled) =>
        Assert.Equal(enabled, ZooCfg.Parse([$"--admin.enableServer={value}"]).Admin.Enabled);

    [Fact]
    public void The_prometheus_class_name_turns_the_endpoint_on()
    {
        var o = ZooCfg.Parse(["--metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
            "--metricsProvider.httpHost=127.0.0.1", "--metricsProvider.httpPort=7001", "--metricsProvider.exportJvmInfo=false"]);
        Assert.True(o.MetricsProvider.PrometheusEnabled);
        Assert.Equal("127.0.0.1", o.MetricsProvider.HttpHost);
        Assert.Equal(7001, o.MetricsProvider.HttpPort);
        Assert.False(o.MetricsProvider.ExportRuntimeInfo);
        Assert.False(ZooCfg.Parse(["--metricsProvider.className=org.apache.zookeeper.metrics.impl.DefaultMetricsProvider"]).MetricsProvider.PrometheusEnabled);
    }

    [Theory]
    [InlineData("--admin.serverPort=70000", "admin.serverPort")]
    [InlineData("--admin.serverPort=http", "admin.serverPort")]
    [InlineData("--admin.serverAddress=my host", "admin.serverAddress")]
    [InlineData("--admin.commandURL=commands", "admin.commandURL")]
    [InlineData("--admin.idleTimeout=0", "admin.idleTimeout")]
    [InlineData("--metricsProvider.className=com.example.Other", "metricsProvider.className")]
    [InlineData("--metricsProvider.httpPort=-1", "metricsProvider.httpPort")]
    public void A_bad_value_is_a_configuration_error_naming_its_key(string argument, string key)
    {
        var e = Assert.Throws<GatewayConfigurationException>(() => ZooCfg.Parse([argument]));
        Assert.Equal(key, e.Key);
    }
}
