using System.Net;
using System.Net.Sockets;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// Forwards 127.0.0.1:<see cref="Port"/> to a target port. <see cref="CutAll"/> drops every current connection
/// (new ones are forwarded again); <see cref="BlackHole"/> stops forwarding in both directions, for current and
/// new connections, while keeping the sockets open (the client's session gets no pings through, so it expires);
/// <see cref="Restore"/> closes the black-holed connections and forwards again.
/// </summary>
public sealed class TcpCutProxy : IAsyncDisposable
{
    private readonly int _targetPort;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Link> _links = [];
    private readonly Task _acceptLoop;
    private volatile bool _blackHole;

    public TcpCutProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Closes every current connection (both sides); later connections are forwarded normally.</summary>
    public void CutAll()
    {
        foreach (var l in Snapshot())
        {
            l.Close();
        }
    }

    /// <summary>Stops forwarding for current and new connections, without closing anything.</summary>
    public void BlackHole()
    {
        _blackHole = true;
        foreach (var l in Snapshot())
        {
            l.BlackHoled = true;
        }
    }

    /// <summary>Closes the black-holed connections and forwards new ones again.</summary>
    public void Restore()
    {
        _blackHole = false;
        foreach (var l in Snapshot())
        {
            if (l.BlackHoled)
            {
                l.Close();
            }
        }
    }

    private Link[] Snapshot()
    {
        lock (_links)
        {
            _links.RemoveAll(l => l.Closed);
            return [.. _links];
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Accepted++;
            client.NoDelay = true;
            var link = new Link(client) { BlackHoled = _blackHole };
            lock (_links)
            {
                _links.Add(link);
            }

            _ = Task.Run(() => RunLinkAsync(link));
        }
    }

    private async Task RunLinkAsync(Link link)
    {
        try
        {
            if (!link.BlackHoled)
            {
                var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                link.Upstream = upstream;
                if (link.Closed)
                {
                    upstream.Dispose();
                    return;
                }

                await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }

            if (link.Upstream is null)
            {
                await PumpAsync(link, link.Client, null); // black-holed from the start: swallow until closed
            }
            else
            {
                await Task.WhenAny(PumpAsync(link, link.Client, link.Upstream), PumpAsync(link, link.Upstream, link.Client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            link.Close();
        }
    }

    private async Task PumpAsync(Link link, Socket from, Socket? to)
    {
        var buf = new byte[16384];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buf, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                if (link.BlackHoled || to is null)
                {
                    continue;
                }

                await to.SendAsync(buf.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        await _acceptLoop;
        _stop.Dispose();
    }

    private sealed class Link(Socket client)
    {
        private int _closed;

        public Socket Client { get; } = client;

        public Socket? Upstream { get; set; }

        public volatile bool BlackHoled;

        public bool Closed => Volatile.Read(ref _closed) != 0;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            foreach (var s in new[] { Client, Upstream })
            {
                if (s is null)
                {
                    continue;
                }

                try
                {
                    s.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }

                s.Close();
            }
        }
    }
}
