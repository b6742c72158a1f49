using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using ZkGateway.Backend;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Metrics;

namespace ZkGateway.Gateway.Admin;

/// <summary>
/// The HTTP side of the gateway: the AdminServer's command servlet (JettyAdminServer.CommandServlet) on
/// its listener and the Prometheus servlet on its own; each listener tags its connections, so one
/// terminal middleware tells them apart.
/// </summary>
public static class OperatorHttp
{
    /// <summary>The connection item naming the listener a request came in on.</summary>
    public const string ListenerItem = "zkgateway.listener";

    public const string AdminListener = "admin";
    public const string MetricsListener = "metrics";

    public static async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        object? listener = null;
        items?.TryGetValue(ListenerItem, out listener);
        switch (listener as string)
        {
            case AdminListener:
                await AdminAsync(context).ConfigureAwait(false);
                break;
            case MetricsListener:
                await MetricsAsync(context).ConfigureAwait(false);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    private static async Task AdminAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<GatewayOptions>();
        string url = options.Admin.CommandUrl;
        string path = context.Request.Path.Value ?? "";
        // Jetty maps the servlet at <commandURL>/*: the URL itself and anything under it.
        if (path != url && !path.StartsWith(url + "/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        // HttpServlet answers HEAD as GET without a body; every other method but GET is 405.
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        string command = path.Length <= url.Length + 1 ? "" : path[(url.Length + 1)..];
        if (SnapshotCommand.Names(command) && HttpMethods.IsGet(context.Request.Method))
        {
            await services.GetRequiredService<SnapshotCommand>().HandleAsync(context).ConfigureAwait(false);
            return;
        }
        byte[] body;
        if (command.Length == 0)
        {
            body = AdminJson.Links(url, AdminCommands.All.Select(c => c.PrimaryName));
        }
        else
        {
            var statistics = services.GetRequiredService<GatewayStatistics>();
            var registry = services.GetRequiredService<ConnectionRegistry>();
            var snapshot = await statistics.SnapshotAsync(services.GetRequiredService<IZkBackend>(), registry,
                withEphemerals: AdminCommands.Find(command)?.PrimaryName == "dump",
                withQuotas: AdminCommands.Find(command)?.PrimaryName == "monitor").ConfigureAwait(false);
            var arguments = context.Request.Query.ToDictionary(q => q.Key, q => q.Value[0] ?? "", StringComparer.Ordinal);
            body = AdminCommands.Run(command, new AdminRequest(snapshot, options, arguments, statistics, registry));
            context.Response.ContentType = "application/json";
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    // The provider's MetricsServlet: /metrics only, Prometheus text format 0.0.4.
    private static async Task MetricsAsync(HttpContext context)
    {
        if (context.Request.Path.Value != "/metrics")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var metrics = context.RequestServices.GetRequiredService<PrometheusMetrics>();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, ExpositionFormat.PrometheusText, context.RequestAborted).ConfigureAwait(false);
    }
}
