namespace ZkGateway.Jute.Protocol;

/// <summary>Reserved xids (ClientCnxn). Any other xid, 0 included, is echoed as sent.</summary>
public static class Xids
{
    /// <summary>Server-to-client watch notification.</summary>
    public const int Notification = -1;

    /// <summary>Ping (op 11).</summary>
    public const int Ping = -2;

    /// <summary>addauth (op 100).</summary>
    public const int Auth = -4;

    /// <summary>SetWatches on reconnect (Java and C clients).</summary>
    public const int SetWatches = -8;
}

/// <summary>ACL permission bits (ZooDefs.Perms).</summary>
[Flags]
public enum Perms
{
    None = 0,
    Read = 1,
    Write = 2,
    Create = 4,
    Delete = 8,
    Admin = 16,
    All = 31,
}
