namespace ZkGateway.Backend;

/// <summary>
/// A store that can write a consistent copy of itself while it keeps serving (the embedded log store).
/// The copy is the state after some prefix of the committed writes: every write acknowledged before
/// the call is in it, and nothing that was not committed.
/// </summary>
public interface IOnlineBackup
{
    /// <summary>Writes the backup to <paramref name="destination"/> and says what it holds.</summary>
    Task<BackupSummary> WriteBackupAsync(Stream destination, CancellationToken cancellationToken = default);
}

/// <summary>What a backup holds: every transaction up to <paramref name="LastZxid"/>, in <paramref name="Bytes"/> bytes.</summary>
public sealed record BackupSummary(long LastZxid, long Bytes);
