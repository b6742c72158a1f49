using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Gateway.Hosting;
using static ZkGateway.Gateway.Tests.Support.TestArguments;

namespace ZkGateway.Gateway.Tests.Hosting;

/// <summary>The backend key picks one of the provider sets the entry point offers.</summary>
public sealed class BackendChoiceTests
{
    private static string TempDir() => Path.Combine(Path.GetTempPath(), "zkgw-choice-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void The_embedded_entry_point_refuses_backend_aws_naming_the_sidecar()
    {
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={TempDir()}", "--clientPort=0", "--backend=aws"]);
        var error = Assert.Throws<GatewayConfigurationException>(() => GatewayHost.Build(options));
        Assert.Contains("src/Gateway.Aws", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_backend_key_selects_the_named_provider()
    {
        var chosen = new RecordingProvider("other");
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={TempDir()}", "--clientPort=0"]);
        options.Backend = "other";
        await using var app = GatewayHost.Build(options, [EmbeddedBackendProvider.Instance, chosen]);
        Assert.Same(chosen.Started, app.Services.GetRequiredService<IZkBackend>());
    }

    [Fact]
    public void An_unknown_backend_lists_the_ones_this_build_offers()
    {
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={TempDir()}", "--clientPort=0"]);
        options.Backend = "other";
        var error = Assert.Throws<GatewayConfigurationException>(() => GatewayHost.Build(options));
        Assert.Contains("must be one of embedded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backend_that_cannot_start_is_one_line_and_exit_code_1_not_a_crash()
    {
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={TempDir()}", "--clientPort=0"]);
        options.Backend = "broken";
        IBackendProvider[] providers = [new FailingProvider()];
        var error = Assert.Throws<BackendStartException>(() => GatewayHost.Build(options, providers));
        Assert.Equal("the broken backend could not start: IOException: storage unreachable", error.Message);
        Assert.Equal(GatewayHost.StartupErrorExitCode, await GatewayHost.RunAsync(options, providers));
    }

    private sealed class FailingProvider : IBackendProvider
    {
        public string Name => "broken";

        public string DescribeData(GatewayOptions options) => "nowhere";

        public Task<IZkBackend> StartAsync(GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers) =>
            Task.FromException<IZkBackend>(new IOException("storage unreachable"));
    }

    /// <summary>Starts the embedded backend under another name and remembers the instance it returned.</summary>
    private sealed class RecordingProvider(string name) : IBackendProvider
    {
        public IZkBackend? Started { get; private set; }

        public string Name => name;

        public string DescribeData(GatewayOptions options) => "recorded";

        public async Task<IZkBackend> StartAsync(GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers) =>
            Started = await EmbeddedBackendProvider.Instance.StartAsync(options, backendOptions, sink, loggers);
    }
}
