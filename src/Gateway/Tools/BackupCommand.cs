using System.CommandLine;
using System.Net.Http.Headers;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// <c>zkgateway backup --to FILE</c>: fetches an online backup from a running embedded gateway through
/// its AdminServer's <c>snapshot</c> command, writes it beside the target, proves it by restoring it into
/// a scratch directory, and only then renames it into place (docs/backup.md).
/// </summary>
public sealed class BackupCommand : IOperatorCommand
{
    public string Name => "backup";

    public string Summary => "--to FILE [--server HOST:PORT] [--auth \"digest user:password\"]: an online backup of a running embedded gateway";

    public async Task<int> RunAsync(string[] args, IReadOnlyList<IBackendProvider> providers, CancellationToken cancellationToken)
    {
        var to = new Option<FileInfo>("--to") { Description = "The backup file to write", Required = true };
        var server = new Option<string>("--server") { Description = "The AdminServer's address", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var commandUrl = new Option<string>("--command-url") { Description = "admin.commandURL", DefaultValueFactory = _ => "/commands" };
        var auth = new Option<string?>("--auth") { Description = "The Authorization header: <scheme> <auth data>, e.g. \"digest admin:secret\"" };
        var command = new RootCommand("zkgateway backup") { to, server, commandUrl, auth };
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return await CommandLineErrors.ReportAsync("backup", parsed.Errors.Select(e => e.Message)).ConfigureAwait(false);
        }
        var target = parsed.GetValue(to)!;
        var uri = new Uri($"http://{parsed.GetValue(server)}{parsed.GetValue(commandUrl)}/snapshot?streaming=true");
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (parsed.GetValue(auth) is { } header)
        {
            request.Headers.TryAddWithoutValidation("Authorization", header);
        }
        string partial = target.FullName + ".partial";
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType is not MediaTypeHeaderValue { MediaType: "application/octet-stream" })
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"zkgateway backup: {uri.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body}").ConfigureAwait(false);
                return 1;
            }
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            long lastZxid;
            await using (var file = File.OpenRead(partial))
            {
                lastZxid = BackupBundle.Verify(file);
            }
            File.Move(partial, target.FullName, overwrite: true);
            string zxidHeader = response.Headers.TryGetValues("last_zxid", out var values) ? values.First() : $"0x{lastZxid:x}";
            await Console.Out.WriteLineAsync($"zkgateway backup: {target.FullName}: {target.Length} bytes, every transaction up to zxid {zxidHeader}, verified").ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException)
        {
            File.Delete(partial);
            await Console.Error.WriteLineAsync($"zkgateway backup: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
