using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZkGateway.Gateway.Hosting;
using static ZkGateway.Gateway.Tests.Support.TestArguments;

namespace ZkGateway.Gateway.Tests.Hosting;

/// <summary>A started gateway says so in one line: version, backend, where it listens, where its data lives.</summary>
public sealed class StartupLineTests
{
    [Fact]
    public async Task A_started_gateway_logs_its_version_backend_address_and_data_directory()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "zkgw-startup-" + Guid.NewGuid().ToString("N"));
        var lines = new LineCollector();
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={dataDir}", "--clientPort=0"]);
        await using var app = GatewayHost.Build(options, services => services.AddSingleton<ILoggerProvider>(lines));
        await app.StartAsync();
        await app.StopAsync();

        var started = Assert.Single(lines.Lines, l => l.Category == "ZkGateway.Startup");
        Assert.Equal(LogLevel.Information, started.Level);
        Assert.Matches(@"^ZkGateway \d+\.\d+\.\d+\S* started: backend embedded, listening on 127\.0\.0\.1:[1-9]\d*, data in ", started.Message);
        Assert.EndsWith(Path.GetFullPath(dataDir), started.Message, StringComparison.Ordinal);
    }

    private sealed class LineCollector : ILoggerProvider
    {
        public sealed record Line(string Category, LogLevel Level, string Message);

        public ConcurrentQueue<Line> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collecting(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Collecting(LineCollector owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue(new Line(category, logLevel, formatter(state, exception)));
        }
    }
}
