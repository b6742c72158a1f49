namespace ZkGateway.Backend.Paths;

/// <summary>ZooKeeper path rules (PathUtils.validatePath) and path arithmetic.</summary>
public static class ZkPath
{
    public const string Root = "/";
    public const string ZooKeeper = "/zookeeper";
    public const string Quota = "/zookeeper/quota";
    public const string Config = "/zookeeper/config";

    /// <summary>
    /// The node a read of <paramref name="path"/> looks up: 3.8.0's DataTree also keys the root under ""
    /// (nodes.put("", root)), so reads of "" answer the root; a watch set on "" keeps its own path and
    /// never fires, as no trigger names "".
    /// </summary>
    public static string Lookup(string path) => path.Length == 0 ? Root : path;

    /// <summary>The four nodes ZooKeeper creates itself; deleting them is BadArguments.</summary>
    public static bool IsReserved(string path) => path is Root or ZooKeeper or Quota or Config;

    /// <summary>
    /// PathUtils.validatePath: starts with "/", "/" alone is fine, no trailing "/", no empty segment,
    /// no "." or ".." segment, no NUL and no character in \u0001-\u001F, \u007F-\u009F,
    /// \uD800-\uF8FF or \uFFF0-\uFFFF.
    /// </summary>
    public static bool IsValid(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }
        if (path.Length == 1)
        {
            return true;
        }
        if (path[^1] == '/')
        {
            return false;
        }
        char last = '/';
        for (int i = 1; i < path.Length; i++)
        {
            char c = path[i];
            if (c == 0)
            {
                return false;
            }
            if (c == '/' && last == '/')
            {
                return false;
            }
            if (c == '.' && last == '.')
            {
                if (path[i - 2] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                {
                    return false;
                }
            }
            else if (c == '.')
            {
                if (path[i - 1] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                {
                    return false;
                }
            }
            else if ((c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009f') || (c >= '\ud800' && c <= '\uf8ff') || c >= '\ufff0')
            {
                return false;
            }
            last = c;
        }
        return true;
    }

    /// <summary>The parent of an absolute path ("/a" → "/", "/a/b" → "/a"); null for "/" or a path without "/".</summary>
    public static string? Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0 || path.Length == 1)
        {
            return null;
        }
        return slash == 0 ? Root : path[..slash];
    }

    /// <summary>The last segment ("/a/b" → "b").</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="path"/> or one of its ancestors.</summary>
    public static bool IsAncestorOrSelf(string ancestor, string path) =>
        ancestor == Root || path == ancestor || (path.StartsWith(ancestor, StringComparison.Ordinal) && path.Length > ancestor.Length && path[ancestor.Length] == '/');

    public static string Join(string parent, string name) => parent == Root ? "/" + name : parent + "/" + name;
}
