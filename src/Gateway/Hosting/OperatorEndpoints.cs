using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZkGateway.Gateway.Admin;
using ZkGateway.Gateway.Metrics;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// The AdminServer and the Prometheus endpoint as two more Kestrel listeners of the gateway's host
/// (<see cref="GatewayHost"/> calls the three steps). Both are HTTP; the ZooKeeper ports stay raw TCP.
/// </summary>
public sealed class OperatorEndpoints
{
    private const string LogCategory = "ZkGateway.Admin";

    private ListenOptions? _admin;
    private ListenOptions? _metrics;

    /// <summary>Where the AdminServer listens once started (the real port when admin.serverPort is 0), or null.</summary>
    public IPEndPoint? AdminEndPoint => _admin?.IPEndPoint;

    /// <summary>Where /metrics is served once started, or null.</summary>
    public IPEndPoint? MetricsEndPoint => _metrics?.IPEndPoint;

    /// <summary>Whether a bound address (Kestrel's <c>http://host:port</c>) is one of these listeners, not a client port.</summary>
    public bool Owns(string address) =>
        (_admin?.IPEndPoint is { } a && address.EndsWith(":" + a.Port, StringComparison.Ordinal))
        || (_metrics?.IPEndPoint is { } m && address.EndsWith(":" + m.Port, StringComparison.Ordinal));

    /// <summary>Adds the listeners the options ask for.</summary>
    public void Listen(KestrelServerOptions kestrel, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Admin.Enabled)
        {
            // Kestrel's keep-alive limit is server-wide, but only HTTP connections have one: admin.idleTimeout.
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMilliseconds(options.Admin.IdleTimeoutMs);
            kestrel.Listen(Address(options.Admin.Address), options.Admin.Port, l =>
            {
                _admin = l;
                Tag(l, OperatorHttp.AdminListener);
            });
        }
        if (options.MetricsProvider.PrometheusEnabled)
        {
            kestrel.Listen(Address(options.MetricsProvider.HttpHost), options.MetricsProvider.HttpPort, l =>
            {
                _metrics = l;
                Tag(l, OperatorHttp.MetricsListener);
            });
        }
    }

    /// <summary>Registers this object and, with Prometheus on, the exporter.</summary>
    public void AddServices(IServiceCollection services, GatewayOptions options, ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logging);
        services.AddSingleton(this);
        if (options.MetricsProvider.PrometheusEnabled)
        {
            services.AddSingleton(sp => new PrometheusMetrics(options.MetricsProvider,
                sp.GetRequiredService<Connections.GatewayStatistics>(), sp.GetRequiredService<Backend.IZkBackend>(),
                sp.GetRequiredService<Connections.ConnectionRegistry>()));
        }
        logging.AddFilter(LogCategory, LogLevel.Information);
    }

    /// <summary>Serves both listeners' requests, creates the exporter before the first scrape, and logs where they listen.</summary>
    public void Use(WebApplication app, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Admin.Enabled && !options.MetricsProvider.PrometheusEnabled)
        {
            return;
        }
        if (options.MetricsProvider.PrometheusEnabled)
        {
            // Series exist from the start, so an early scrape sees every name.
            _ = app.Services.GetRequiredService<PrometheusMetrics>();
        }
        app.Run(OperatorHttp.HandleAsync);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (AdminEndPoint is { } admin)
            {
                OperatorLog.AdminStarted(log, admin.Address.ToString(), admin.Port, options.Admin.CommandUrl);
            }
            if (MetricsEndPoint is { } metrics)
            {
                OperatorLog.MetricsStarted(log, metrics.Address.ToString(), metrics.Port);
            }
        });
    }

    private static IPAddress Address(string text) => text == "localhost" ? IPAddress.Loopback : IPAddress.Parse(text);

    private static void Tag(ListenOptions listener, string name) =>
        listener.Use(next => connection =>
        {
            connection.Items[OperatorHttp.ListenerItem] = name;
            return next(connection);
        });
}
