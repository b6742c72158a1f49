using System.Text;
using System.Text.Json;
using ZkGateway.FunctionHost.Lambda;

namespace ZkGateway.FunctionHost.Functions;

/// <summary>
/// A diagnostic function (<c>_HANDLER=echo</c>): answers with the event it was given, so a deployment or
/// a test can check the whole runtime round trip without the backend. An event that is a JSON object
/// with a string property <c>"echoError"</c> makes it throw an <see cref="InvalidOperationException"/>
/// with that message instead (to check the error path).
/// </summary>
public sealed class EchoFunction : IFunctionHandler
{
    public const string HandlerName = "echo";

    public string Name => HandlerName;

    public Task<string> HandleAsync(ReadOnlyMemory<byte> eventJson, InvocationContext context,
        CancellationToken cancellationToken)
    {
        if (RequestedError(eventJson.Span) is { } message)
        {
            throw new InvalidOperationException(message);
        }
        return Task.FromResult(Encoding.UTF8.GetString(eventJson.Span));
    }

    private static string? RequestedError(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("echoError"u8);
                reader.Read();
                if (isError && reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: echo it all the same.
        }
        return null;
    }
}
