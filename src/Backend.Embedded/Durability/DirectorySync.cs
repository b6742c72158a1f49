using System.Runtime.InteropServices;
using System.Text;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// fsync of a directory, so that a file created or renamed in it survives a crash (POSIX keeps the
/// entry in the directory, not in the file). .NET has no API for it (it will not open a directory as a
/// file), hence libc's open/fsync/close. Windows needs no such step.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY (Linux)

    public static void Flush(string dir)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        byte[] path = Encoding.UTF8.GetBytes(Path.GetFullPath(dir) + "\0");
        int fd = Open(path, ReadOnlyDirectory);
        if (fd < 0)
        {
            throw new IOException($"open {dir}: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync {dir}: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
