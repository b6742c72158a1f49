using System.Text;

namespace ZkGateway.Compat.Differential;

/// <summary>A differential mismatch: the message holds the readable diff and the replayable sequence.</summary>
public sealed class DiffMismatchException(string message) : Exception(message);

/// <summary>
/// Compares two normalized transcripts (<see cref="DiffExecutor"/>) line by line: the first line that
/// differs is the mismatch. The report shows that line from both sides with a few lines of context, and the
/// sequence as C# that can be pasted into <see cref="CuratedCases"/>.
/// </summary>
public static class DiffComparer
{
    private const int Context = 4;

    /// <summary>The index of the first differing line, or null when the transcripts are equal.</summary>
    public static int? FirstMismatch(IReadOnlyList<string> zooKeeper, IReadOnlyList<string> gateway)
    {
        int n = Math.Min(zooKeeper.Count, gateway.Count);
        for (int i = 0; i < n; i++)
        {
            if (!string.Equals(zooKeeper[i], gateway[i], StringComparison.Ordinal))
            {
                return i;
            }
        }
        return zooKeeper.Count == gateway.Count ? null : n;
    }

    /// <summary>The readable report of a mismatch, or null when the transcripts are equal.</summary>
    public static string? Diff(Sequence sequence, IReadOnlyList<string> zooKeeper, IReadOnlyList<string> gateway)
    {
        if (FirstMismatch(zooKeeper, gateway) is not int at)
        {
            return null;
        }
        var b = new StringBuilder();
        b.AppendLine($"gateway differs from ZooKeeper 3.8.0 at transcript line {at}:");
        for (int i = Math.Max(0, at - Context); i < at; i++)
        {
            b.Append("    ").AppendLine(zooKeeper[i]);
        }
        b.Append("  zookeeper: ").AppendLine(at < zooKeeper.Count ? zooKeeper[at] : "<end of transcript>");
        b.Append("  gateway:   ").AppendLine(at < gateway.Count ? gateway[at] : "<end of transcript>");
        b.AppendLine("sequence (paste into CuratedCases to replay):");
        b.AppendLine(sequence.ToCode());
        b.AppendLine("full ZooKeeper transcript:");
        foreach (var line in zooKeeper)
        {
            b.Append("    ").AppendLine(line);
        }
        b.AppendLine("full gateway transcript:");
        foreach (var line in gateway)
        {
            b.Append("    ").AppendLine(line);
        }
        return b.ToString();
    }

    /// <summary>Throws <see cref="DiffMismatchException"/> with the report when the transcripts differ.</summary>
    public static void AssertSame(Sequence sequence, IReadOnlyList<string> zooKeeper, IReadOnlyList<string> gateway)
    {
        if (Diff(sequence, zooKeeper, gateway) is string report)
        {
            throw new DiffMismatchException(report);
        }
    }
}
