using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Gateway.Connections;

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

    /// <summary>
    /// Parses <paramref name="args"/>, runs the server until SIGTERM/SIGINT (then returns 0).
    /// Bad configuration: prints the message to stderr and returns <see cref="ConfigErrorExitCode"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        GatewayOptions options;
        try
        {
            options = ZooCfg.Parse(args);
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
        return await RunAsync(options);
    }

    /// <summary>Runs the server with already-parsed options until shutdown.</summary>
    public static async Task<int> RunAsync(GatewayOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplication app;
        try
        {
            app = Build(options);
        }
        catch (GatewayConfigurationException e)
        {
            await Console.Error.WriteLineAsync("ZkGateway: " + e.Message);
            return ConfigErrorExitCode;
        }
        await using (app)
        {
            try
            {
                await app.StartAsync(cancellationToken);
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
    /// <see cref="ConfigureServices"/>, letting tests replace registrations.
    /// </summary>
    public static WebApplication Build(GatewayOptions options, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var address = IPAddress.Parse(options.ClientPortAddress);

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
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, options.ClientPort, l => l.UseConnectionHandler<ZkConnectionHandler>());
        });

        builder.Services.AddSingleton(options);
        ConfigureServices(builder.Services, options);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        if (options.Verbose)
        {
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ZkGateway");
            app.Lifetime.ApplicationStarted.Register(() =>
                log.LogInformation("ZkGateway listening on {Address}:{Port} (dataDir {DataDir})", options.ClientPortAddress, options.ClientPort, options.DataDir));
        }
        return app;
    }

    /// <summary>
    /// Service registrations for the gateway. <see cref="GatewayOptions"/> is already registered.
    /// </summary>
    public static void ConfigureServices(IServiceCollection services, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        // The backend starts here, before Kestrel listens: recovery of the data directory and the new
        // epoch must be done before the first client is answered.
        var registry = new ConnectionRegistry();
        var backendOptions = new BackendOptions
        {
            DataDir = options.DataDir,
            TickTime = options.TickTime,
            ServerId = (int)options.ServerId,
            ExtendedTypesEnabled = options.ExtendedTypesEnabled,
            GatewayId = options.GatewayId ?? (options.Backend == "aws" ? "gw-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)) : "embedded"),
            ContainerCheckIntervalMs = options.ContainerCheckIntervalMs,
            ContainerMaxPerMinute = options.ContainerMaxPerMinute,
            ContainerMaxNeverUsedIntervalMs = options.ContainerMaxNeverUsedIntervalMs,
            EpochWaitMs = options.EpochWaitMs,
            InboxHoldFile = Environment.GetEnvironmentVariable("ZKGW_TEST_INBOX_HOLD") is { Length: > 0 } hold ? hold : null,
        };
        var backend = options.Backend == "aws"
            ? StartAwsBackend(options, backendOptions, registry)
            : FaaSBackend.StartEmbeddedAsync(backendOptions, registry).GetAwaiter().GetResult();
        services.AddSingleton(registry);
        // A factory registration, so the container disposes the backend (closing the database) on shutdown.
        services.AddSingleton<IZkBackend>(_ => backend);
        services.AddSingleton<GatewayStatistics>();
    }

    /// <summary>The AWS provider set: aws.* keys over the ZKGW_AWS_* environment (see <see cref="AwsSettings.FromEnvironment"/>).</summary>
    private static FaaSBackend StartAwsBackend(GatewayOptions options, BackendOptions backendOptions, ConnectionRegistry registry)
    {
        var env = AwsSettings.FromEnvironment(options.Aws.Deployment);
        var aws = env with
        {
            Region = options.Aws.Region ?? env.Region,
            DynamoDbEndpoint = options.Aws.DynamoDb ?? env.DynamoDbEndpoint,
            S3Endpoint = options.Aws.S3 ?? env.S3Endpoint,
            SqsEndpoint = options.Aws.Sqs ?? env.SqsEndpoint,
            BucketNameOverride = options.Aws.Bucket ?? env.BucketNameOverride,
            UserStorage = options.Aws.UserStorage switch
            {
                "key-value" => UserStorageMode.KeyValue,
                "persistent" => UserStorageMode.Persistent,
                _ => env.UserStorage,
            },
        };
        if (aws.AccessKey is null && (aws.DynamoDbEndpoint ?? aws.S3Endpoint ?? aws.SqsEndpoint) is not null)
        {
            // Emulators accept any credentials, and the SDK's default chain would find none here.
            aws = aws with { AccessKey = "test", SecretKey = "test" };
        }
        return AwsDeployment.StartGatewayAsync(aws, backendOptions, registry).GetAwaiter().GetResult();
    }
}
