namespace ZkGateway.Backend.Watches;

public sealed partial class InMemoryWatchStorage
{
    /// <summary>
    /// The watchers of one path in one table, held in the table's own entry. Nearly every watched path
    /// has one watcher (a million data watches, one session each, issue 14), so that one is kept inline;
    /// a dictionary is made only for a second. Before, every path had a dictionary of its own: about
    /// 230 B of the 420 B a watch cost.
    /// </summary>
    /// <remarks>A mutable struct: changed only through a reference into the table (CollectionsMarshal).</remarks>
    private struct PathWatchers
    {
        private long _watcher;
        private long _zxid;
        private Mode _mode;
        private bool _inlineRemoved;

        // From the second watcher on, all of them are here and the inline fields are unused.
        private Dictionary<long, (Mode Mode, long Zxid)>? _many;

        public static PathWatchers Of(long watcher, Mode mode, long zxid) => new() { _watcher = watcher, _mode = mode, _zxid = zxid };

        public readonly int Count => _many?.Count ?? (_inlineRemoved ? 0 : 1);

        /// <summary>Adds the watcher, or replaces its mode and zxid (3.8.0: a registration replaces the mode).</summary>
        public void Set(long watcher, Mode mode, long zxid)
        {
            if (_many is not null)
            {
                _many[watcher] = (mode, zxid);
            }
            else if (_watcher == watcher || _inlineRemoved)
            {
                _watcher = watcher;
                _mode = mode;
                _zxid = zxid;
                _inlineRemoved = false;
            }
            else
            {
                _many = new() { [_watcher] = (_mode, _zxid), [watcher] = (mode, zxid) };
            }
        }

        /// <summary>Removes the watcher; false when it is not here. <see cref="Count"/> 0 afterwards: drop the entry.</summary>
        public bool Remove(long watcher)
        {
            if (_many is not null)
            {
                return _many.Remove(watcher);
            }
            if (_inlineRemoved || _watcher != watcher)
            {
                return false;
            }
            _inlineRemoved = true;
            return true;
        }

        public readonly Enumerator GetEnumerator() => new(this);

        /// <summary>The (watcher, mode, zxid) entries, without allocating.</summary>
        public struct Enumerator(PathWatchers source)
        {
            private Dictionary<long, (Mode Mode, long Zxid)>.Enumerator _inner = source._many?.GetEnumerator() ?? default;
            private bool _inlineDone;

            public (long Watcher, (Mode Mode, long Zxid) Entry) Current { get; private set; }

            public bool MoveNext()
            {
                if (source._many is not null)
                {
                    if (!_inner.MoveNext())
                    {
                        return false;
                    }
                    var (watcher, entry) = _inner.Current;
                    Current = (watcher, entry);
                    return true;
                }
                if (_inlineDone || source._inlineRemoved)
                {
                    return false;
                }
                _inlineDone = true;
                Current = (source._watcher, (source._mode, source._zxid));
                return true;
            }
        }
    }
}
