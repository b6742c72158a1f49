using ZkGateway.Backend.Watches;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>The in-memory watch tables, modelled on ZooKeeper 3.8.0's data and child WatchManagers.</summary>
public sealed class WatchStorageTests
{
    private readonly InMemoryWatchStorage _watches = new();

    [Fact]
    public void One_shot_watches_fire_once()
    {
        _watches.Register("/a", WatchKind.Data, 1);
        _watches.Register("/a", WatchKind.Child, 2);
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeDataChanged));
        Assert.Empty(_watches.FetchAndClear("/a", EventType.NodeDataChanged));
        Assert.Equal([2L], _watches.FetchAndClear("/a", EventType.NodeChildrenChanged));
        Assert.Equal((0, 0), _watches.Counts());
    }

    [Fact]
    public void Is_empty_exactly_when_no_watch_is_left()
    {
        Assert.True(_watches.IsEmpty);
        _watches.Register("/a", WatchKind.Child, 1);
        _watches.Register("/b", WatchKind.Data, 2);
        Assert.False(_watches.IsEmpty);
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeChildrenChanged));
        Assert.False(_watches.IsEmpty);
        Assert.Single(_watches.TakeStale("/b", WatcherType.Data, _ => true));
        Assert.True(_watches.IsEmpty);
        _watches.Register("/c", WatchKind.PersistentRecursive, 3);
        _watches.RemoveWatcher(3);
        Assert.True(_watches.IsEmpty);
    }

    [Fact]
    public void Persistent_watches_are_kept_and_see_data_and_child_events()
    {
        _watches.Register("/a", WatchKind.Persistent, 1);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeDataChanged));
            Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeChildrenChanged));
        }
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeDeleted));
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeCreated));
        Assert.Empty(_watches.FetchAndClear("/a/b", EventType.NodeCreated));
        Assert.Equal((2, 1), _watches.Counts()); // one entry in each table
    }

    [Fact]
    public void Recursive_watches_match_the_path_and_descendants_but_never_children_changed()
    {
        _watches.Register("/a", WatchKind.PersistentRecursive, 1);
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeDataChanged));
        Assert.Equal([1L], _watches.FetchAndClear("/a/b/c", EventType.NodeCreated));
        Assert.Equal([1L], _watches.FetchAndClear("/a/b", EventType.NodeDeleted));
        Assert.Empty(_watches.FetchAndClear("/a", EventType.NodeChildrenChanged));
        Assert.Empty(_watches.FetchAndClear("/ab", EventType.NodeCreated));
        Assert.Empty(_watches.FetchAndClear("/", EventType.NodeDataChanged));

        _watches.Register("/", WatchKind.PersistentRecursive, 2);
        Assert.Equal([1L, 2L], _watches.FetchAndClear("/a/x", EventType.NodeDataChanged).Order());
        Assert.Equal([2L], _watches.FetchAndClear("/", EventType.NodeDataChanged));
    }

    [Fact]
    public void A_watcher_is_returned_once_per_trigger_whatever_it_holds()
    {
        _watches.Register("/a", WatchKind.PersistentRecursive, 1);
        _watches.Register("/a/b", WatchKind.Persistent, 1);
        _watches.Register("/a/b", WatchKind.Data, 1);
        _watches.Register("/a/b", WatchKind.Child, 1);
        Assert.Equal([1L], _watches.FetchAndClear("/a/b", EventType.NodeDeleted));
    }

    [Fact]
    public void A_one_shot_registration_replaces_the_persistent_mode_in_its_table()
    {
        _watches.Register("/a", WatchKind.Persistent, 1);
        _watches.Register("/a", WatchKind.Data, 1);
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeDataChanged));
        Assert.Empty(_watches.FetchAndClear("/a", EventType.NodeDataChanged));
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeChildrenChanged));
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeChildrenChanged));
    }

    [Fact]
    public void Contains_looks_for_any_watcher_and_remove_for_this_one()
    {
        Assert.False(_watches.Contains("/a", WatcherType.Any));
        _watches.Register("/a", WatchKind.Persistent, 1);
        Assert.True(_watches.Contains("/a", WatcherType.Children));
        Assert.True(_watches.Contains("/a", WatcherType.Data));
        Assert.False(_watches.Contains("/a", WatcherType.Persistent));
        Assert.False(_watches.Remove("/a", WatcherType.Any, 2));
        Assert.True(_watches.Remove("/a", WatcherType.Data, 1));
        Assert.False(_watches.Contains("/a", WatcherType.Data));
        Assert.Empty(_watches.FetchAndClear("/a", EventType.NodeDataChanged));
        Assert.Equal([1L], _watches.FetchAndClear("/a", EventType.NodeChildrenChanged));
        Assert.True(_watches.Remove("/a", WatcherType.Any, 1));
        Assert.False(_watches.Remove("/a", WatcherType.Any, 1));
        Assert.Equal((0, 0), _watches.Counts());
    }

    [Fact]
    public void RemoveWatcher_drops_every_table()
    {
        _watches.Register("/a", WatchKind.PersistentRecursive, 1);
        _watches.Register("/b", WatchKind.Exist, 1);
        _watches.Register("/b", WatchKind.Child, 2);
        _watches.RemoveWatcher(1);
        Assert.Empty(_watches.FetchAndClear("/a/x", EventType.NodeCreated));
        Assert.Empty(_watches.FetchAndClear("/b", EventType.NodeCreated));
        Assert.Equal((1, 1), _watches.Counts());
    }

    [Fact]
    public void Watchers_of_one_path_come_and_go_in_any_order_one_or_many()
    {
        // The first watcher of a path is kept inline, the second makes the path's dictionary.
        _watches.Register("/a", WatchKind.Data, 1);
        _watches.Register("/a", WatchKind.Data, 1); // again: still one watch
        Assert.Equal((1, 1), _watches.Counts());
        _watches.Register("/a", WatchKind.Exist, 2);
        _watches.Register("/a", WatchKind.Data, 3);
        Assert.Equal((3, 1), _watches.Counts());
        Assert.True(_watches.Remove("/a", WatcherType.Data, 1));
        Assert.False(_watches.Remove("/a", WatcherType.Data, 1));
        Assert.Equal([2L, 3L], _watches.FetchAndClear("/a", EventType.NodeDataChanged).Order());
        Assert.True(_watches.IsEmpty);

        // A lone watcher removed, then another registers on the same path.
        _watches.Register("/b", WatchKind.Data, 4);
        Assert.True(_watches.Remove("/b", WatcherType.Data, 4));
        Assert.False(_watches.Contains("/b", WatcherType.Data));
        _watches.Register("/b", WatchKind.Data, 5);
        _watches.Register("/b", WatchKind.Persistent, 6);
        _watches.RemoveWatcher(5);
        Assert.Equal([6L], _watches.FetchAndClear("/b", EventType.NodeDataChanged));
        Assert.Equal([6L], _watches.FetchAndClear("/b", EventType.NodeDataChanged)); // persistent: kept
        var byWatcher = _watches.PathsByWatcher();
        Assert.Equal([6L], byWatcher.Keys);
        Assert.Equal(["/b"], byWatcher[6]);
    }
}
