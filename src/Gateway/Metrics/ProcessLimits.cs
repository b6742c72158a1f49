using System.Globalization;

namespace ZkGateway.Gateway.Metrics;

/// <summary>The process's file descriptors, for mntr's open/max_file_descriptor_count (-1 where /proc is absent).</summary>
public static class ProcessLimits
{
    /// <summary>Entries of /proc/self/fd.</summary>
    public static long OpenFileDescriptors()
    {
        try
        {
            return Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>The soft limit of "Max open files" in /proc/self/limits.</summary>
    public static long MaxFileDescriptors()
    {
        try
        {
            if (!File.Exists("/proc/self/limits"))
            {
                return -1;
            }
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                    {
                        return v;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return -1;
    }
}
