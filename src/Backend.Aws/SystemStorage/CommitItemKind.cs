namespace ZkGateway.Backend.Aws;

/// <summary>What an item of a commit's transaction is, to read its cancellation reason.</summary>
internal enum CommitItemKind
{
    /// <summary>A node item: its lock held (or released), its state written.</summary>
    Lock,

    /// <summary>A session item conditional on the session existing: a failed condition refuses the request.</summary>
    SessionMustExist,

    /// <summary>A session's ephemeral set rewritten at a version read: a failed condition means rebuild and retry.</summary>
    SessionVersion,

    /// <summary>An unconditional session item.</summary>
    Session,

    /// <summary>The pending entry (fails for a zxid already pending).</summary>
    Pending,

    /// <summary>The request's marker (fails for a request committed before).</summary>
    Request,
}
