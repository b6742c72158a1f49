using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>
/// The built ZkGateway.FunctionHost executable as a child process, as Lambda runs <c>bootstrap</c>:
/// AWS_LAMBDA_RUNTIME_API points at the stand-in and _HANDLER picks the function.
/// </summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private RuntimeApiStandIn _api = null!;
    private Process? _host;
    private readonly StringBuilder _output = new();

    public async Task InitializeAsync() => _api = await RuntimeApiStandIn.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is { HasExited: false })
        {
            _host.Kill(entireProcessTree: true); // only the process this test started
            await _host.WaitForExitAsync();
        }
        _host?.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task The_echo_function_round_trips_reports_an_error_and_carries_on_then_stops_on_sigterm()
    {
        Start("echo");

        _api.Enqueue(StandInInvocation.Json("e2e-1", """{"hello":"lambda"}""", DateTimeOffset.UtcNow.AddMinutes(5)));
        _api.Enqueue(StandInInvocation.Json("e2e-2", """{"echoError":"asked to fail"}""", DateTimeOffset.UtcNow.AddMinutes(5)));
        _api.Enqueue(StandInInvocation.Json("e2e-3", "\"after the error\"", DateTimeOffset.UtcNow.AddMinutes(5)));

        var first = await _api.OutcomeAsync("e2e-1");
        Assert.True(first.Kind == OutcomeKind.Response, Diagnostics(first));
        Assert.Equal("""{"hello":"lambda"}""", first.Body);

        var error = await _api.OutcomeAsync("e2e-2");
        Assert.Equal(OutcomeKind.Error, error.Kind);
        Assert.Equal("Function.Unhandled", error.ErrorTypeHeader);
        using (var doc = JsonDocument.Parse(error.Body))
        {
            Assert.Equal("asked to fail", doc.RootElement.GetProperty("errorMessage").GetString());
            Assert.Equal("System.InvalidOperationException", doc.RootElement.GetProperty("errorType").GetString());
        }

        var third = await _api.OutcomeAsync("e2e-3");
        Assert.Equal(OutcomeKind.Response, third.Kind);
        Assert.Equal("\"after the error\"", third.Body);

        // SIGTERM while it waits in /next: it stops cleanly.
        Assert.Equal(0, Kill(_host!.Id, Sigterm));
        await _host.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(_host.ExitCode == 0, Diagnostics(null));
    }

    [Fact]
    public async Task An_unknown_handler_is_an_init_error_and_the_process_exits()
    {
        Start("no-such-function");

        var error = await _api.InitErrorAsync();
        Assert.Equal("Runtime.NoSuchHandler", error.ErrorTypeHeader);
        Assert.Contains("no-such-function", error.Body);
        await _host!.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, _host.ExitCode);
        Assert.DoesNotContain("next", _api.Journal);
    }

    /// <summary>
    /// Set to a published <c>bootstrap</c> (scripts/publish-functions.sh) to run these tests against it
    /// instead of the framework-dependent build.
    /// </summary>
    public const string BootstrapVariable = "ZKGW_FUNCTIONHOST_BOOTSTRAP";

    private void Start(string handler)
    {
        ProcessStartInfo start;
        if (Environment.GetEnvironmentVariable(BootstrapVariable) is { Length: > 0 } bootstrap)
        {
            start = new ProcessStartInfo(bootstrap);
        }
        else
        {
            // The host's own build output, not the copy beside the tests: this project's ASP.NET Core
            // framework reference keeps the logging packages the host ships out of the test's folder.
            string configuration = Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)))!;
            var dll = Path.Combine(DeploymentFilesTests.RepositoryRoot(), "src", "FunctionHost", "bin", configuration, "net10.0", "ZkGateway.FunctionHost.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: the test project references src/FunctionHost, which builds it");
            Assert.True(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")), "the host's runtimeconfig.json was not copied");
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
            start = new ProcessStartInfo(dotnet) { ArgumentList = { dll } };
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = _api.Address;
        start.Environment["_HANDLER"] = handler;
        _host = Process.Start(start)!;
        _host.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _host.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _host.BeginOutputReadLine();
        _host.BeginErrorReadLine();
    }

    private string Diagnostics(InvocationOutcome? outcome)
    {
        lock (_output)
        {
            return $"outcome: {outcome}\nhost output:\n{_output}";
        }
    }

    private const int Sigterm = 15;

    // kill(2); the test only signals the process it started.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
