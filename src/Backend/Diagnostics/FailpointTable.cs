namespace ZkGateway.Backend.Diagnostics;

/// <summary>
/// Armed failpoints, parsed from their spelling: entries separated by <c>;</c>, each
/// <c>point=action</c> or <c>point@subject=action</c> (the action only for hits with that subject),
/// blanks around them ignored, e.g. <c>writer-after-commit=kill</c> or
/// <c>gateway-inbox@gw-a=pause(/tmp/hold)</c>. Immutable: arming builds a new table.
/// </summary>
internal sealed class FailpointTable
{
    public static readonly FailpointTable Empty = new([]);

    private readonly IReadOnlyList<Entry> _entries;

    private FailpointTable(IReadOnlyList<Entry> entries) => _entries = entries;

    public int Count => _entries.Count;

    /// <summary>Parses a spelling (null or blank: no points). Unknown points and actions are errors.</summary>
    public static FailpointTable Parse(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            return Empty;
        }
        var entries = new List<Entry>();
        foreach (string raw in spec.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = raw.IndexOf('=');
            if (equals <= 0)
            {
                throw new ArgumentException($"Failpoint '{raw}': expected point=action.", nameof(spec));
            }
            string target = raw[..equals].Trim();
            int at = target.IndexOf('@');
            string point = at < 0 ? target : target[..at].Trim();
            string? subject = at < 0 ? null : target[(at + 1)..].Trim();
            if (!Failpoints.Names.Contains(point))
            {
                throw new ArgumentException($"Failpoint '{point}' does not exist; the points are {string.Join(", ", Failpoints.Names)}.", nameof(spec));
            }
            if (subject is { Length: 0 })
            {
                throw new ArgumentException($"Failpoint '{raw}': empty subject after '@'.", nameof(spec));
            }
            entries.Add(new Entry(point, subject, FailpointAction.Parse(raw[(equals + 1)..].Trim())));
        }
        return new FailpointTable(entries);
    }

    /// <summary>The action for a hit: the first entry for the point whose subject is the hit's, or any.</summary>
    public FailpointAction? Find(string point, string? subject)
    {
        foreach (var entry in _entries)
        {
            if (entry.Point == point && (entry.Subject is null || entry.Subject == subject))
            {
                return entry.Action;
            }
        }
        return null;
    }

    /// <summary>This table's entries, then <paramref name="earlier"/>'s: this one's take precedence.</summary>
    public FailpointTable Then(FailpointTable earlier) => new([.. _entries, .. earlier._entries]);

    /// <summary>This table without the entries <paramref name="added"/> brought (disarming them).</summary>
    public FailpointTable Without(FailpointTable added) =>
        new([.. _entries.Where(e => !added._entries.Any(a => ReferenceEquals(a, e)))]);

    private sealed record Entry(string Point, string? Subject, FailpointAction Action);
}
