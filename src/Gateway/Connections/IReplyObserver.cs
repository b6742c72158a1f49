namespace ZkGateway.Gateway.Connections;

/// <summary>
/// Told of each reply once the writer has sent it (the statistics behind four-letter words and the
/// metrics). An interface the connection implements rather than a delegate: a closure per idle
/// session cost about 100 B (issue 14).
/// </summary>
public interface IReplyObserver
{
    /// <param name="opType">The request's op code.</param>
    /// <param name="startTicks">When the request was read (<see cref="Environment.TickCount64"/>).</param>
    void ReplySent(int opType, long startTicks);
}
