using System.IO.Pipelines;

namespace ZkGateway.Gateway.Tests.Support;

/// <summary>
/// One end of an in-memory connection. A pair shares two pipes: what the application side writes
/// the transport side reads, and the other way round (Kestrel's in-memory test transport does the same).
/// </summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    /// <summary>The server's end (<c>Transport</c>) and the client's end (<c>Application</c>).</summary>
    public static (IDuplexPipe Transport, IDuplexPipe Application) CreateConnectionPair()
    {
        // No back-pressure, no synchronization context: a test reads what it needs when it needs it.
        var options = new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        return (new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
    }
}
