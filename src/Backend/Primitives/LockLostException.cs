namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A commit of a writer batch found one of its locks gone: lapsed, or taken over by a later delivery
/// of the same batch (<see cref="LockToken.Supersedes"/>). The batch commits nothing more and answers
/// nothing: whoever handles it next (the delivery that took the lock, or this batch delivered again,
/// since it is not acknowledged) answers every request, finding the ones committed here by their
/// markers. Answering here could contradict that (a SystemError for a request the next delivery commits).
/// </summary>
public sealed class LockLostException(string message) : Exception(message);
