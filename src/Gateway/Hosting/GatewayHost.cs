using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Tls;
using ZkGateway.Gateway.Transport;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// Process entry and host construction: zoo.cfg/command line → <see cref="GatewayOptions"/> → a minimal
/// Kestrel host (no HTTP, no config files, no file watchers) with <see cref="ZkConnectionHandler"/> on
/// clientPortAddress:clientPort.
/// </summary>
public static class GatewayHost
{
    /// <summary>The runtime's switch for running socket completions on its event thread (Unix).</summary>
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Exit code for a configuration error.</summary>
    public const int ConfigErrorExitCode = 2;

    /// <summary>Exit code when the server fails to start (e.g. the port is in use).</summary>
    public const int StartupErrorExitCode = 1;

    /// <summary>The log category of the start-up line.</summary>
    private const string StartupCategory = "ZkGateway.Startup";

    /// <summary>The log category of the start-up's phase times (a category of its own: the start-up line stays one line).</summary>
    private const string StartupTimingCategory = "ZkGateway.Startup.Timing";

    /// <summary>This build's version (informational: with the commit when built from git).</summary>
    private static string Version =>
        typeof(GatewayHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The addresses Kestrel bound (the real port when clientPort is 0).</summary>
    private static string ListeningOn(WebApplication app, GatewayOptions options)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var operatorEndpoints = app.Services.GetRequiredService<OperatorEndpoints>();
        return addresses is { Count: > 0 }
            ? string.Join(", ", addresses.Where(a => !operatorEndpoints.Owns(a)).Select(a => Uri.TryCreate(a, UriKind.Absolute, out var uri) ? $"{uri.Host}:{uri.Port}" : a))
            : $"{options.ClientPortAddress}:{options.ClientPort}";
    }

    /// <summary>The provider sets of the gateway's own entry point: the embedded one only.</summary>
    public static readonly IReadOnlyList<IBackendProvider> EmbeddedOnly = [EmbeddedBackendProvider.Instance];

    /// <summary>
    /// Parses <paramref name="args"/>, runs the server until SIGTERM/SIGINT (then returns 0).
    /// Bad configuration: prints the message to stderr and returns <see cref="ConfigErrorExitCode"/>.
    /// <paramref name="providers"/>: the provider sets this entry point offers, the first the default
    /// when no <c>backend</c> key is given (default: <see cref="EmbeddedOnly"/>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider>? providers = null)
    {
        var timeline = new StartupTimeline();
        providers ??= EmbeddedOnly;
        if (Tools.OperatorCommands.Find(args) is { } command)
        {
            return await command.RunAsync(args[1..], providers, CancellationToken.None);
        }
        GatewayOptions options;
        try
        {
            options = ZooCfg.Parse(args);
            if (!options.Raw.ContainsKey(ZooCfg.Keys.Backend))
            {
                options.Backend = providers[0].Name;
            }
        }
        catch (GatewayConfigurationException e)
        {
            await Console.Error.WriteLineAsync("ZkGateway: " + e.Message);
            return ConfigErrorExitCode;
        }
        if (options.UsesInlineScheduling && Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            // Read once by the runtime's socket engine when the first socket is made, which is later
            // than this: socket completions then run the read loop on the engine's thread directly.
            // Only the process entry sets it; a host embedded in tests keeps the runtime's default.
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
        return await RunAsync(options, providers, timeline, CancellationToken.None);
    }

    /// <summary>Runs the server with already-parsed options until shutdown.</summary>
    public static async Task<int> RunAsync(GatewayOptions options, CancellationToken cancellationToken = default) =>
        await RunAsync(options, EmbeddedOnly, cancellationToken);

    /// <summary>Runs the server with already-parsed options on one of <paramref name="providers"/> until shutdown.</summary>
    public static Task<int> RunAsync(GatewayOptions options, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken = default) =>
        RunAsync(options, providers, null, cancellationToken);

    private static async Task<int> RunAsync(GatewayOptions options, IReadOnlyList<IBackendProvider> providers, StartupTimeline? timeline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        double configMs = timeline?.Mark() ?? 0;
        WebApplication app;
        try
        {
            app = Build(options, providers, null, timeline);
        }
        catch (GatewayConfigurationException e)
        {
            await Console.Error.WriteLineAsync("ZkGateway: " + e.Message);
            return ConfigErrorExitCode;
        }
        catch (BackendStartException e)
        {
            await Console.Error.WriteLineAsync("ZkGateway: " + e.Message);
            return StartupErrorExitCode;
        }
        await using (app)
        {
            try
            {
                double hostMs = timeline?.Mark() ?? 0;
                await app.StartAsync(cancellationToken);
                if (timeline is not null)
                {
                    double listenMs = timeline.Mark();
                    double runtimeMs = timeline.BeforeMainMs();
                    StartupLog.Timing(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(StartupTimingCategory),
                        runtimeMs + timeline.SinceCreationMs, runtimeMs, configMs, hostMs, timeline.BackendMs, listenMs);
                }
            }
            catch (IOException e)
            {
                // Kestrel wraps bind failures (address in use, permission) in IOException.
                await Console.Error.WriteLineAsync($"ZkGateway: cannot listen on {options.ClientPortAddress}:{options.ClientPort}: {e.Message}");
                return StartupErrorExitCode;
            }
            catch (SocketException e)
            {
                await Console.Error.WriteLineAsync($"ZkGateway: cannot listen on {options.ClientPortAddress}:{options.ClientPort}: {e.Message}");
                return StartupErrorExitCode;
            }
            await app.WaitForShutdownAsync(cancellationToken);
        }
        return 0;
    }

    /// <summary>
    /// Builds (does not start) the host. <paramref name="configureServices"/> runs after
    /// <see cref="ConfigureServices(IServiceCollection, GatewayOptions, IBackendProvider)"/>, letting tests replace registrations.
    /// </summary>
    public static WebApplication Build(GatewayOptions options, Action<IServiceCollection>? configureServices = null) =>
        Build(options, EmbeddedOnly, configureServices);

    /// <summary>Builds (does not start) the host on the provider set the <c>backend</c> key names among <paramref name="providers"/>.</summary>
    public static WebApplication Build(GatewayOptions options, IReadOnlyList<IBackendProvider> providers, Action<IServiceCollection>? configureServices = null) =>
        Build(options, providers, configureServices, null);

    private static WebApplication Build(GatewayOptions options, IReadOnlyList<IBackendProvider> providers, Action<IServiceCollection>? configureServices, StartupTimeline? timeline)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(providers);
        options.Validate();
        var provider = providers.FirstOrDefault(p => p.Name == options.Backend)
            ?? throw new GatewayConfigurationException(ZooCfg.Keys.Backend, options.Backend, options.Backend == "aws"
                ? "this build carries the embedded provider set only; run the sidecar gateway (dotnet run --project src/Gateway.Aws)"
                : "must be one of " + string.Join(", ", providers.Select(p => p.Name)));
        // Before the first GSS-API call, and where 3.8.0 logs its Kerberos service in: before the port opens or the data is read.
        options.Sasl.Kerberos?.Start();
        var address = IPAddress.Parse(options.ClientPortAddress);
        // Read the stores before anything starts: a bad key store is a configuration error.
        var tls = options.SecureClientPort != -1 || options.PortUnification ? new TlsCertificateSource(options) : null;

        // CreateEmptyBuilder: no appsettings/env/user-secrets sources, no file watching — fast startup.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Logging.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Debug : LogLevel.Warning);
        // The one line a started gateway prints, whatever the level.
        builder.Logging.AddFilter(StartupCategory, LogLevel.Information);
        builder.Logging.AddFilter(StartupTimingCategory, LogLevel.Information);
        // The embedded store's recovery and snapshots, as ZooKeeper logs its snapshot loads at INFO.
        builder.Logging.AddFilter("ZkGateway.Backend.Embedded.DurableStore", LogLevel.Information);
        // Each session expiry, as ZooKeeper logs "Expiring session 0x…, timeout of …ms exceeded" at INFO.
        builder.Logging.AddFilter(typeof(FaaSBackend).FullName, LogLevel.Information);
        // Each memory trim pauses the process for a moment (about a second at 1M znodes): say when.
        builder.Logging.AddFilter(typeof(IdleMemoryTrimmer).FullName, LogLevel.Information);
        if (options.Verbose)
        {
            builder.Logging.AddFilter("Microsoft", LogLevel.Information);
        }

        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = !options.Verbose);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();

        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(s =>
        {
            if (options.ClientPortListenBacklog > 0)
            {
                s.Backlog = options.ClientPortListenBacklog;
            }
            s.NoDelay = true;
            s.UnsafePreferInlineScheduling = options.UsesInlineScheduling;
        });
        // The AdminServer and the Prometheus endpoint: HTTP listeners next to the client ports.
        var operatorEndpoints = new OperatorEndpoints();
        operatorEndpoints.AddServices(builder.Services, options, builder.Logging);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            operatorEndpoints.Listen(k, options);
            if (options.ClientPort != -1 && options.PortUnification)
            {
                // client.portUnification: TLS and plaintext clients on clientPort, told apart by their first bytes.
                k.Listen(address, options.ClientPort, l => l.UseTlsOrPlaintext(tls!.HandshakeOptions(), TimeSpan.FromMilliseconds(options.HandshakeTimeoutMs)));
            }
            if (tls is not null && options.SecureClientPort != -1)
            {
                // The TLS middleware in front of the same handler: the handshake, then ZooKeeper's wire
                // (and four-letter words) inside it, as on 3.8.0's Netty secure port.
                k.Listen(IPAddress.Parse(options.EffectiveSecureClientPortAddress), options.SecureClientPort, l =>
                {
                    l.UseHttps(tls.HandshakeOptions());
                    l.UseConnectionHandler<ZkConnectionHandler>();
                });
            }
        });

        if (options.ClientPort != -1 && !options.PortUnification)
        {
            // The plaintext clientPort on our own socket transport, not Kestrel's: about half the
            // memory per idle session (docs/performance.md, "Session memory").
            ClientPortServer.Register(
                builder.Services,
                sp => new ClientPortListener(
                    new IPEndPoint(address, options.ClientPort),
                    options.ClientPortListenBacklog,
                    ActivatorUtilities.CreateInstance<ZkConnectionHandler>(sp),
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger<ClientPortListener>()),
                kestrelListens: options.Admin.Enabled || options.MetricsProvider.PrometheusEnabled || (tls is not null && options.SecureClientPort != -1));
        }
        builder.Services.AddSingleton(options);
        if (tls is not null)
        {
            // A factory registration, so the container disposes it (its file watchers) with the host.
            builder.Services.AddSingleton(_ => tls);
        }
        ConfigureServices(builder.Services, options, provider, timeline);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        // The backend starts before Kestrel listens: recovery of the data directory and the new epoch
        // must be done before the first client is answered. Building the host has already resolved it
        // (for the connection handler, so a failed start throws there); this keeps it so either way.
        _ = app.Services.GetRequiredService<IZkBackend>();
        operatorEndpoints.Use(app, options);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(StartupCategory);
        app.Services.GetService<TlsCertificateSource>()?.StartWatching(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<TlsCertificateSource>());
        if (tls is not null && options.Tls.ClientAuth != TlsClientAuth.None && !options.X509ProviderEnabled)
        {
            StartupLog.NoX509Provider(log, options.Tls.ClientAuth.ToString().ToLowerInvariant(), ZooCfg.Keys.X509ProviderClass);
        }
        if (options.Sasl.Warning is { } saslWarning)
        {
            StartupLog.SaslOff(log, saslWarning);
        }
        app.Lifetime.ApplicationStarted.Register(() => StartupLog.Started(log, Version, options.Backend, ListeningOn(app, options), provider.DescribeData(options)));
        return app;
    }

    /// <summary>
    /// Service registrations for the gateway. <see cref="GatewayOptions"/> is already registered.
    /// </summary>
    public static void ConfigureServices(IServiceCollection services, GatewayOptions options, IBackendProvider provider) =>
        ConfigureServices(services, options, provider, null);

    private static void ConfigureServices(IServiceCollection services, GatewayOptions options, IBackendProvider provider, StartupTimeline? timeline)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(provider);
        var registry = new ConnectionRegistry();
        var backendOptions = new BackendOptions
        {
            DataDir = options.DataDir,
            TickTime = options.TickTime,
            ServerId = (int)options.ServerId,
            ExtendedTypesEnabled = options.ExtendedTypesEnabled,
            EnforceQuota = options.EnforceQuota,
            GatewayId = options.GatewayId ?? (options.Backend == "aws" ? "gw-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)) : "embedded"),
            ContainerCheckIntervalMs = options.ContainerCheckIntervalMs,
            ContainerMaxPerMinute = options.ContainerMaxPerMinute,
            ContainerMaxNeverUsedIntervalMs = options.ContainerMaxNeverUsedIntervalMs,
            EpochWaitMs = options.EpochWaitMs,
            LivenessRenewalMs = options.LivenessRenewalMs,
            HeartbeatIntervalMs = options.HeartbeatIntervalMs,
            SnapshotLogBytes = options.SnapshotLogBytes,
        };
        services.AddSingleton(registry);
        services.AddHostedService<IdleMemoryTrimmer>();
        services.AddSingleton<Admin.SnapshotCommand>();
        // A factory registration, so the container disposes the backend (closing the database) on
        // shutdown, and the backend logs through the host's loggers. Building the host resolves it,
        // before Kestrel listens (start-up only: blocking there keeps Build synchronous for its callers).
        services.AddSingleton(sp => StartBackend(provider, options, backendOptions, registry, sp.GetRequiredService<ILoggerFactory>(), timeline));
        services.AddSingleton(new GatewayStatistics { DataDir = options.Backend == "embedded" ? options.DataDir : null });
    }

    /// <summary>Starts the backend; a failure other than a configuration error becomes a <see cref="BackendStartException"/>.</summary>
    private static IZkBackend StartBackend(IBackendProvider provider, GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers, StartupTimeline? timeline)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return provider.StartAsync(options, backendOptions, sink, loggers).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not GatewayConfigurationException)
        {
            throw new BackendStartException(options.Backend, e);
        }
        finally
        {
            if (timeline is not null)
            {
                timeline.BackendMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }
    }
}
