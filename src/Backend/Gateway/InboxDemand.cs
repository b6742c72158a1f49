namespace ZkGateway.Backend.Gateway;

/// <summary>
/// Whether anything can arrive in this gateway's inbox, and a signal when that may have changed. Replies
/// come only for writes in flight, session ends only for sessions served here, watch triggers and Marks
/// only matter to registered watches (which belong to sessions). A gateway with none of these has nothing
/// to wait for, so its inbox loop stops polling (each empty 20 s long poll is a billed request) until one
/// appears; anything that does arrive meanwhile (a trigger for an interest item that outlived its
/// watches) waits in the queue, and is handled, in order, when polling resumes.
/// </summary>
internal sealed class InboxDemand(Func<bool> anythingExpected)
{
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>True while a reply, trigger or session end may come.</summary>
    public bool AnythingExpected => anythingExpected();

    /// <summary>Called after a session, a write or a watch was added: wakes a loop that waits in <see cref="WaitUntilExpectedAsync"/>.</summary>
    public void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    /// <summary>Completes at once while something is expected, otherwise at the first signal after which something is.</summary>
    public async Task WaitUntilExpectedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // Taken before the check: a signal between the check and the wait completes this very task.
            var changed = Volatile.Read(ref _changed).Task;
            if (anythingExpected())
            {
                return;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
