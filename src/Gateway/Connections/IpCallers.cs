using System.Collections.Concurrent;
using System.Net;
using ZkGateway.Backend;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// The identity every connection starts with, ip:&lt;client address&gt; (IPAuthenticationProvider), one
/// per address: identities are immutable, and a gateway's clients come from few addresses, so ten
/// thousand sessions from one host share one instead of holding a copy each (about 100 B, issue 14).
/// </summary>
internal static class IpCallers
{
    /// <summary>Beyond this many addresses, new ones are made per connection rather than kept.</summary>
    private const int Limit = 4096;

    private static readonly ConcurrentDictionary<IPAddress, CallerIdentity> Known = new();

    // Counted here: ConcurrentDictionary.Count takes every lock, and past the limit each connect asks.
    private static int _known;

    /// <summary>The identity of a connection from <paramref name="address"/> (already mapped to IPv4 where it is IPv4-mapped).</summary>
    public static CallerIdentity Of(IPAddress address)
    {
        if (Known.TryGetValue(address, out var caller))
        {
            return caller;
        }
        caller = new CallerIdentity([new Id("ip", address.ToString())]);
        if (Volatile.Read(ref _known) >= Limit)
        {
            return caller;
        }
        if (Known.TryAdd(address, caller))
        {
            Interlocked.Increment(ref _known);
            return caller;
        }
        return Known.TryGetValue(address, out var kept) ? kept : caller;
    }
}
