using System.Collections.Concurrent;
using ZkGateway.Backend;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// Cross-connection state: live connections by id (the watcher id the backend knows them by) and by
/// session. It is the gateway's inbox for watch events and session ends (<see cref="INotificationSink"/>).
/// </summary>
public sealed class ConnectionRegistry : INotificationSink
{
    private readonly ConcurrentDictionary<long, ZkConnection> _byId = new();
    private readonly ConcurrentDictionary<long, ZkConnection> _bySession = new();
    private readonly ConcurrentDictionary<System.Net.IPAddress, int> _perAddress = new();
    private long _nextId;

    /// <summary>
    /// Admits a new TCP connection from <paramref name="address"/> unless it already has
    /// <paramref name="limit"/> open (maxClientCnxns; 0 = unlimited). Pair with <see cref="Release"/>.
    /// </summary>
    public bool TryAdmit(System.Net.IPAddress? address, int limit)
    {
        if (address is null)
        {
            return true;
        }
        int count = _perAddress.AddOrUpdate(address, 1, (_, n) => n + 1);
        if (limit > 0 && count > limit)
        {
            Release(address);
            return false;
        }
        return true;
    }

    public void Release(System.Net.IPAddress? address)
    {
        if (address is not null && _perAddress.AddOrUpdate(address, 0, (_, n) => n - 1) <= 0)
        {
            _perAddress.TryRemove(new KeyValuePair<System.Net.IPAddress, int>(address, 0));
        }
    }

    public long NextConnectionId() => Interlocked.Increment(ref _nextId);

    public void Add(ZkConnection connection) => _byId[connection.Id] = connection;

    public IReadOnlyCollection<ZkConnection> Connections => (IReadOnlyCollection<ZkConnection>)_byId.Values;

    public int Count => _byId.Count;

    /// <summary>Attaches a session to a connection; a session's previous connection is closed (ZooKeeper does the same).</summary>
    public void AttachSession(long sessionId, ZkConnection connection)
    {
        CloseSessionConnection(sessionId, connection);
        _bySession[sessionId] = connection;
    }

    /// <summary>
    /// Closes the connection a session is on, unless it is <paramref name="except"/>. A ConnectRequest with
    /// the session's id does this before its password is checked (3.8.0's processConnectRequest closes
    /// the old connection first), so even a refused takeover closes it; the session itself lives on.
    /// </summary>
    public void CloseSessionConnection(long sessionId, ZkConnection except)
    {
        if (_bySession.TryGetValue(sessionId, out var previous) && previous != except)
        {
            previous.Outbound.Abort();
            previous.Abort();
        }
    }

    public void Remove(ZkConnection connection)
    {
        _byId.TryRemove(connection.Id, out _);
        if (connection.SessionId != 0)
        {
            _bySession.TryRemove(new KeyValuePair<long, ZkConnection>(connection.SessionId, connection));
        }
    }

    public void Deliver(long watcher, WatchEvent watchEvent)
    {
        if (_byId.TryGetValue(watcher, out var connection)
            && (watchEvent.Acl is not { } acl || ZkGateway.Backend.Functions.AclRules.Allows(acl, ZkGateway.Jute.Protocol.Perms.Read, connection.Caller)))
        {
            connection.Outbound.PostEvent(watchEvent);
        }
    }

    public void WriteOrdered(long sessionId, long zxid)
    {
        if (_bySession.TryGetValue(sessionId, out var connection))
        {
            connection.Outbound.ResolveOldestSubmitted(zxid);
        }
    }

    public void SessionClosed(long sessionId)
    {
        if (_bySession.TryRemove(sessionId, out var connection))
        {
            connection.Outbound.CloseWhenDrained();
        }
    }
}
