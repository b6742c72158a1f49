using System.Diagnostics;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>Apache ZooKeeper 3.8 from Debian's jar, standalone, on 127.0.0.1 with a fresh dataDir (environment.md §1).</summary>
/// <summary>Settings both targets start with.</summary>
public static class CompatSettings
{
    /// <summary>The kazoo / go-zk harness super digest: <c>addauth digest super:test</c> gives super.</summary>
    public const string SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";

    public const string SuperPassword = "test";
}

public sealed class RealZooKeeper : ProcessZkTarget
{
    /// <summary>
    /// Debian's zookeeper.jar manifest leaves netty-codec out of its Class-Path, which the Netty connection
    /// factory (TLS) needs (NoClassDefFoundError: io/netty/handler/codec/ByteToMessageDecoder), and the
    /// servlet API, without which the AdminServer does not start ("Unable to load jetty").
    /// </summary>
    public const string ServerClassPath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar:/usr/share/java/netty-codec.jar:/usr/share/java/servlet-api.jar";

    private readonly IReadOnlyList<KeyValuePair<string, string>> _properties;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _config;

    /// <param name="properties">Extra server settings, passed as Java system properties (<c>-Dkey=value</c>).</param>
    /// <param name="config">Extra zoo.cfg lines, for keys ZooKeeper reads only from its config file (e.g. <c>secureClientPort</c>).</param>
    public RealZooKeeper(IReadOnlyList<KeyValuePair<string, string>>? properties = null, IReadOnlyList<KeyValuePair<string, string>>? config = null)
        : base("zk")
    {
        _properties = properties ?? [];
        _config = config ?? [];
    }

    public override TargetKind Kind => TargetKind.ZooKeeper;

    protected override Task PrepareAsync()
    {
        if (!File.Exists("/usr/share/java/zookeeper.jar"))
        {
            throw new InvalidOperationException("/usr/share/java/zookeeper.jar is missing: run scripts/install-test-deps.sh");
        }

        // Comments on their own lines only: ZooKeeper does not strip trailing comments from values.
        File.WriteAllText(Path.Combine(WorkDir, "zoo.cfg"), $"""
            tickTime=2000
            dataDir={DataDir}
            clientPort={Port}
            clientPortAddress=127.0.0.1
            maxClientCnxns=0
            admin.enableServer=false
            4lw.commands.whitelist=*

            """ + string.Concat(_config.Select(kv => $"{kv.Key}={kv.Value}\n")));
        return Task.CompletedTask;
    }

    protected override ProcessStartInfo CreateStartInfo()
    {
        var psi = new ProcessStartInfo("java") { WorkingDirectory = WorkDir };
        foreach (var a in new[]
                 {
                     "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ServerClassPath,
                     "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                     "-Dzookeeper.DigestAuthenticationProvider.superDigest=" + CompatSettings.SuperDigest,
                 }.Concat(_properties.Select(p => $"-D{p.Key}={p.Value}"))
                 .Concat(["org.apache.zookeeper.server.ZooKeeperServerMain", Path.Combine(WorkDir, "zoo.cfg")]))
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }
}
