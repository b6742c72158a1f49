using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using ZkGateway.Gateway.Connections;

namespace ZkGateway.Gateway.Tls;

/// <summary>
/// <c>client.portUnification</c>: TLS and plaintext clients on the one <c>clientPort</c>, as 3.8.0's
/// NettyServerCnxnFactory does with its DualModeSslHandler. A connection middleware reads the first
/// bytes without consuming them (<see cref="TlsRecordSniffer"/>) and hands the connection either to
/// Kestrel's TLS middleware, then the handler (the secure port's path), or straight to the same
/// handler (the plaintext port's path). The handler sees the bytes the sniffer looked at.
/// </summary>
public static class UnifiedPort
{
    /// <summary>
    /// Builds the listener's pipeline. <paramref name="detectionTimeout"/> bounds the wait for the first
    /// bytes; a connection silent that long is closed, as the plaintext port closes one that sends
    /// nothing (3.8.0 keeps it open, undecided).
    /// </summary>
    public static void UseTlsOrPlaintext(this ListenOptions listen, TlsHandshakeCallbackOptions tls, TimeSpan detectionTimeout)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ConnectionDelegate? plaintext = null;
        // Kestrel composes the middleware last to first: the capture below runs before this one is
        // built, so `plaintext` is the handler and `tlsPath` is the TLS middleware in front of it.
        listen.Use(tlsPath => context => SniffAsync(context, tlsPath, plaintext!, detectionTimeout));
        listen.UseHttps(tls);
        listen.Use(handler =>
        {
            plaintext = handler;
            return handler;
        });
        listen.UseConnectionHandler<ZkConnectionHandler>();
    }

    private static async Task SniffAsync(ConnectionContext context, ConnectionDelegate tlsPath, ConnectionDelegate plaintextPath, TimeSpan detectionTimeout)
    {
        TlsRecordSniffer.Verdict verdict;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed))
        {
            deadline.CancelAfter(detectionTimeout);
            try
            {
                verdict = await FirstBytesAsync(context.Transport.Input, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Silent past the deadline, or gone: returning closes the connection.
                return;
            }
        }
        await (verdict == TlsRecordSniffer.Verdict.Tls ? tlsPath(context) : plaintextPath(context)).ConfigureAwait(false);
    }

    /// <summary>Reads until the first bytes decide; consumes nothing.</summary>
    private static async Task<TlsRecordSniffer.Verdict> FirstBytesAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var verdict = TlsRecordSniffer.Classify(buffer);
            if (verdict != TlsRecordSniffer.Verdict.NeedMore || result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                // The peer ended before deciding: the plaintext path reads what there is and the end.
                return verdict == TlsRecordSniffer.Verdict.NeedMore ? TlsRecordSniffer.Verdict.Plaintext : verdict;
            }
            // Examined all, consumed nothing: the next read waits for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
