using System.Diagnostics;
using System.Text;
using ZkGateway.Backend.Aws;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// The gateway on the AWS provider set, against the AWS API emulators (scripts/aws-emulators.sh:
/// DynamoDB Local, fauxqs for SQS and S3): a fresh deployment per target, provisioned and served by
/// one function-host process (<c>ZkGateway.FunctionHost host --provision</c>), and the gateway with
/// <c>--backend=aws</c>. A restart restarts the gateway only; the functions and the data stay.
/// </summary>
public sealed class AwsGatewayServer : ProcessZkTarget
{
    private readonly StringBuilder _functionsLog = new();
    private AwsSettings? _settings;
    private Process? _functions;

    private readonly AwsGatewayServer? _sharing;
    private readonly UserStorageMode _userStorage;
    private readonly WritePathMode _writePath;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _properties;

    /// <param name="userStorage">Where the deployment keeps node data: S3 objects or DynamoDB items.</param>
    /// <param name="properties">Extra settings (e.g. the reaper's), as --key=value to the function host and the gateway.</param>
    /// <param name="writePath">Who writes: the functions through the queues, or each gateway itself.</param>
    /// <param name="deployment">A deployment the test made (and filled, e.g. by an import) instead of a fresh one.</param>
    public AwsGatewayServer(UserStorageMode userStorage = UserStorageMode.Persistent, IReadOnlyList<KeyValuePair<string, string>>? properties = null, WritePathMode writePath = WritePathMode.Queue, AwsSettings? deployment = null)
        : base("awsgw")
    {
        _settings = deployment;
        _userStorage = userStorage;
        _writePath = writePath;
        _properties = properties ?? [];
    }

    /// <summary>Another gateway on <paramref name="sharing"/>'s deployment and functions (it starts no function host).</summary>
    public AwsGatewayServer(AwsGatewayServer sharing)
        : base("awsgw2")
    {
        _sharing = sharing;
        _userStorage = sharing._userStorage;
        _writePath = sharing._writePath;
        _properties = sharing._properties;
    }

    /// <summary>
    /// Liveness renewed and the heartbeat's pass every second: a killed gateway's sessions expire within
    /// a few seconds after their timeout, not the defaults' minutes (docs/serverless.md, "Idle cost").
    /// </summary>
    public static readonly KeyValuePair<string, string>[] FastExpiry = [new("livenessRenewalMs", "1000"), new("heartbeatIntervalMs", "1000")];

    public override TargetKind Kind =>
        _writePath == WritePathMode.Gateway ? TargetKind.AwsGatewayWrites
        : _userStorage == UserStorageMode.KeyValue ? TargetKind.AwsGatewayKeyValue
        : TargetKind.AwsGateway;

    public AwsSettings Settings => _sharing?.Settings ?? _settings ?? throw new InvalidOperationException("not started");

    public static string FunctionHostDll =>
        Path.Combine(RepoPaths.RepoRoot, "src", "FunctionHost", "bin", RepoPaths.Configuration, "net10.0", "ZkGateway.FunctionHost.dll");

    /// <summary>
    /// Runs on <paramref name="settings"/> instead of a new deployment on the emulators' own endpoints, e.g. one
    /// whose endpoints are fault proxies (tests/Nemesis.Tests' cloud faults). Before the first start only.
    /// </summary>
    public void UseDeployment(AwsSettings settings)
    {
        if (_sharing is not null || _settings is not null)
        {
            throw new InvalidOperationException("a deployment is chosen once, by the server that runs the function host, before it starts");
        }
        _settings = settings;
    }

    /// <summary>More environment for the gateway process only (not the function host), e.g. a failpoint (ZKGW_FAILPOINTS, docs/failpoints.md).</summary>
    public Dictionary<string, string> GatewayEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>What the function host printed (for failure messages).</summary>
    public string FunctionsLog
    {
        get
        {
            lock (_functionsLog)
            {
                return _functionsLog.ToString();
            }
        }
    }

    protected override async Task PrepareAsync()
    {
        await GatewayServer.EnsureBuiltAsync(GatewayServer.AwsDllPath, Path.Combine(RepoPaths.RepoRoot, "src", "Gateway.Aws"));
        await GatewayServer.EnsureBuiltAsync(FunctionHostDll, Path.Combine(RepoPaths.RepoRoot, "src", "FunctionHost"));
        if (_sharing is not null)
        {
            await _sharing.StartAsync();
            return;
        }
        if (_functions is { HasExited: false })
        {
            return;
        }
        _settings ??= await AwsEmulators.NewDeploymentAsync("compat");
        await StartFunctionsAsync();
    }

    /// <summary>Starts the function host and waits for its "ready" line (it provisions the deployment first).</summary>
    public async Task StartFunctionsAsync(IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDir,
        };
        psi.ArgumentList.Add(FunctionHostDll);
        psi.ArgumentList.Add("host");
        psi.ArgumentList.Add("--provision");
        psi.ArgumentList.Add("--tickTime=2000");
        foreach (var (key, value) in _properties)
        {
            psi.ArgumentList.Add($"--{key}={value}");
        }
        AddEnvironment(psi);
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_functionsLog)
            {
                _functionsLog.AppendLine(line);
            }
            if (line.Contains("functions ready", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"the function host exited ({process.ExitCode}):\n{FunctionsLog}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _functions = process;
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"the function host did not get ready in 60 s:\n{FunctionsLog}");
        }
    }

    /// <summary>Waits for the function host to exit by itself (an injected crash); false on timeout.</summary>
    public async Task<bool> WaitForFunctionsExitAsync(TimeSpan timeout)
    {
        if (_functions is not { } p)
        {
            return true;
        }
        try
        {
            await p.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Hands the running function host over to the caller (who must kill it), so a second one can be
    /// started beside it: two instances of a function, one of them paused.
    /// </summary>
    public Process? DetachFunctions()
    {
        var p = _functions;
        _functions = null;
        return p;
    }

    /// <summary>SIGKILL to the function host (a crashed function); <see cref="StartFunctionsAsync"/> brings it back.</summary>
    public async Task KillFunctionsAsync()
    {
        if (_functions is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    private void AddEnvironment(ProcessStartInfo psi)
    {
        var s = Settings;
        psi.Environment["ZKGW_AWS_DEPLOYMENT"] = s.DeploymentName;
        psi.Environment["ZKGW_AWS_DYNAMODB"] = s.DynamoDbEndpoint;
        psi.Environment["ZKGW_AWS_S3"] = s.S3Endpoint;
        psi.Environment["ZKGW_AWS_SQS"] = s.SqsEndpoint;
        psi.Environment["ZKGW_AWS_ACCESS_KEY"] = s.AccessKey;
        psi.Environment["ZKGW_AWS_SECRET_KEY"] = s.SecretKey;
        // A crashed function's batch comes again after 10 s rather than SQS's default 30 s (fault tests).
        psi.Environment["ZKGW_AWS_QUEUE_VISIBILITY_SECONDS"] = "10";
        // The function host and the gateway must agree on it: both read the same variable.
        psi.Environment["ZKGW_AWS_USER_STORAGE"] = _userStorage == UserStorageMode.KeyValue ? "key-value" : "persistent";
        psi.Environment["ZKGW_AWS_WRITE_PATH"] = _writePath == WritePathMode.Gateway ? "gateway" : "queue";
    }

    protected override ProcessStartInfo CreateStartInfo()
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = WorkDir };
        psi.ArgumentList.Add(GatewayServer.AwsDllPath);
        psi.ArgumentList.Add($"--clientPort={Port}");
        psi.ArgumentList.Add("--backend=aws");
        psi.ArgumentList.Add($"--dataDir={DataDir}");
        psi.ArgumentList.Add("--tickTime=2000");
        // Off, as for GatewayServer: many gateways run at once and the default port is one port.
        psi.ArgumentList.Add("--admin.enableServer=false");
        psi.ArgumentList.Add("--4lw.commands.whitelist=*");
        psi.ArgumentList.Add("--zookeeper.DigestAuthenticationProvider.superDigest=" + CompatSettings.SuperDigest);
        foreach (var (key, value) in _properties)
        {
            psi.ArgumentList.Add($"--{key}={value}");
        }
        AddEnvironment(psi);
        foreach (var (key, value) in GatewayEnvironment)
        {
            psi.Environment[key] = value;
        }
        return psi;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await KillFunctionsAsync();
        _functions?.Dispose();
    }
}
