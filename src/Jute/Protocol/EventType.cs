namespace ZkGateway.Jute.Protocol;

/// <summary>Watcher.Event.EventType. Removal events (5-7) are generated client-side only.</summary>
public enum EventType
{
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

/// <summary>Watcher.Event.KeeperState. The server only ever sends SyncConnected.</summary>
public enum KeeperState
{
    Unknown = -1,
    Disconnected = 0,
    NoSyncConnected = 1,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Expired = -112,
    Closed = 7,
}

/// <summary>WatcherType used by checkWatches/removeWatches.</summary>
public enum WatcherType
{
    Children = 1,
    Data = 2,
    Any = 3,
    Persistent = 4,
    PersistentRecursive = 5,
}

/// <summary>addWatch modes.</summary>
public enum AddWatchMode
{
    Persistent = 0,
    PersistentRecursive = 1,
}
