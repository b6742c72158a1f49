using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;

namespace ZkGateway.Backend.Diagnostics;

/// <summary>
/// Exports the <see cref="CloudTrace"/> spans of this process as JSON lines to the file named by
/// ZKGW_TRACE_FILE (one file per process; a tool joins the files of a run). An <see cref="ActivityListener"/>:
/// while the variable is unset nothing listens, so the spans cost nothing. One line per span:
/// <c>{"name","trace","span","parent","start","end","process","pid","tags":{…}}</c>, times in
/// microseconds since the Unix epoch (UTC; the processes of a run share the machine's clock).
/// Lines are written by a background task and flushed at exit.
/// </summary>
public sealed class CloudTraceFile : IDisposable
{
    public const string Variable = "ZKGW_TRACE_FILE";

    private static readonly Lock StartLock = new();
    private static CloudTraceFile? _current;

    private readonly ActivityListener _listener;
    private readonly Channel<byte[]> _lines = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly string _process;

    private CloudTraceFile(string path, string process)
    {
        _process = process;
        var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        _writer = Task.Run(() => WriteLoopAsync(file));
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CloudTrace.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Export,
        };
        ActivitySource.AddActivityListener(_listener);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    /// <summary>
    /// Starts the export if ZKGW_TRACE_FILE names a file (once per process; later calls return the same
    /// export). <paramref name="process"/> names this process in the lines (gateway, functions).
    /// </summary>
    public static CloudTraceFile? StartFromEnvironment(string process)
    {
        string? path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        lock (StartLock)
        {
            return _current ??= new CloudTraceFile(path, process);
        }
    }

    /// <summary>Starts an export to <paramref name="path"/> (tests); dispose to flush and stop it.</summary>
    public static CloudTraceFile Start(string path, string process) => new(path, process);

    private void Export(Activity activity)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", activity.OperationName);
            json.WriteString("trace", activity.TraceId.ToHexString());
            json.WriteString("span", activity.SpanId.ToHexString());
            if (activity.ParentSpanId != default)
            {
                json.WriteString("parent", activity.ParentSpanId.ToHexString());
            }
            long start = Microseconds(activity.StartTimeUtc);
            json.WriteNumber("start", start);
            json.WriteNumber("end", start + (long)(activity.Duration.Ticks / 10));
            json.WriteString("process", _process);
            json.WriteNumber("pid", Environment.ProcessId);
            json.WriteStartObject("tags");
            foreach (var tag in activity.TagObjects)
            {
                switch (tag.Value)
                {
                    case double d:
                        json.WriteNumber(tag.Key, d);
                        break;
                    case long l:
                        json.WriteNumber(tag.Key, l);
                        break;
                    case int i:
                        json.WriteNumber(tag.Key, i);
                        break;
                    default:
                        json.WriteString(tag.Key, Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
                        break;
                }
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        _lines.Writer.TryWrite(buffer.WrittenSpan.ToArray());
    }

    private static long Microseconds(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private async Task WriteLoopAsync(FileStream file)
    {
        await using (file.ConfigureAwait(false))
        {
            var reader = _lines.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    file.Write(line);
                    file.WriteByte((byte)'\n');
                }
                file.Flush();
            }
        }
    }

    /// <summary>Stops listening and writes what is left.</summary>
    public void Dispose()
    {
        _listener.Dispose();
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
    }
}
