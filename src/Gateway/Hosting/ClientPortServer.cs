using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using ZkGateway.Gateway.Transport;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// The host's server: the plaintext clientPort on <see cref="ClientPortListener"/>, and Kestrel for
/// whatever else listens (the TLS port, port unification, the AdminServer, Prometheus). Kestrel is
/// started only when it has a listener of its own: with none it would bind localhost:5000. The
/// addresses it reports are the client port's first, then Kestrel's.
/// </summary>
internal sealed class ClientPortServer : IServer
{
    private readonly IServer _kestrel;
    private readonly ClientPortListener _clientPort;
    private readonly bool _kestrelListens;
    private readonly FeatureCollection _features;

    public ClientPortServer(IServer kestrel, ClientPortListener clientPort, bool kestrelListens)
    {
        _kestrel = kestrel;
        _clientPort = clientPort;
        _kestrelListens = kestrelListens;
        _features = new FeatureCollection(kestrel.Features);
        _features.Set<IServerAddressesFeature>(new CombinedAddresses(this));
    }

    public IFeatureCollection Features => _features;

    /// <summary>
    /// Replaces the <see cref="IServer"/> registration (Kestrel's) in <paramref name="services"/> with
    /// this server around it.
    /// </summary>
    public static void Register(IServiceCollection services, Func<IServiceProvider, ClientPortListener> clientPort, bool kestrelListens)
    {
        var kestrel = services.Last(d => d.ServiceType == typeof(IServer));
        services.Remove(kestrel);
        services.AddSingleton<IServer>(sp => new ClientPortServer(
            kestrel.ImplementationFactory is { } factory ? (IServer)factory(sp)
                : kestrel.ImplementationInstance as IServer ?? (IServer)ActivatorUtilities.CreateInstance(sp, kestrel.ImplementationType!),
            clientPort(sp), kestrelListens));
    }

    public async Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull
    {
        _clientPort.Start();
        if (_kestrelListens)
        {
            await _kestrel.StartAsync(application, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _clientPort.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_kestrelListens)
        {
            await _kestrel.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _clientPort.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _kestrel.Dispose();
    }

    /// <summary>The client port's address (as Kestrel writes its own) followed by Kestrel's.</summary>
    private sealed class CombinedAddresses(ClientPortServer server) : IServerAddressesFeature
    {
        private IServerAddressesFeature? Kestrel => server._kestrel.Features.Get<IServerAddressesFeature>();

        public ICollection<string> Addresses
        {
            get
            {
                List<string> all = [];
                if (server._clientPort.BoundEndPoint is { } bound)
                {
                    all.Add("tcp://" + bound);
                }
                if (server._kestrelListens && Kestrel is { } kestrel)
                {
                    all.AddRange(kestrel.Addresses);
                }
                return all;
            }
        }

        public bool PreferHostingUrls
        {
            get => Kestrel?.PreferHostingUrls ?? false;
            set
            {
                if (Kestrel is { } kestrel)
                {
                    kestrel.PreferHostingUrls = value;
                }
            }
        }
    }
}
