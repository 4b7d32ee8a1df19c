using System.Text.Json;

namespace SharingHub.Server.Hosting;

/// <summary>
/// What every JSON body must be before any endpoint reads it: UTF-8, each member named once (two "sub"
/// members must not mean one thing to the hub and another to a partner), and every string real Unicode
/// (an unpaired surrogate cannot be sealed, compared or shown) without the NUL character (which PostgreSQL
/// refuses to store, and which no field of a record means).
/// </summary>
internal static class JsonBodies
{
    public static readonly JsonDocumentOptions Strict = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    /// <summary>Why a declared charset is refused, or null: JSON is UTF-8 (RFC 8259), and nothing else is read.</summary>
    public static string? CharsetProblem(string? contentType)
    {
        foreach (var parameter in (contentType ?? "").Split(';').Skip(1))
        {
            var pair = parameter.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length == 2 && pair[0].Equals("charset", StringComparison.OrdinalIgnoreCase)
                && !pair[1].Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            {
                return "JSON bodies are read as UTF-8 only; send charset=utf-8 or no charset";
            }
        }
        return null;
    }

    /// <summary>Parses a body strictly: the document, or why it is refused (never an exception).</summary>
    public static (JsonDocument? Document, string? Problem) Parse(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Strict);
        }
        catch (JsonException e)
        {
            return (null, IsDuplicate(e)
                ? $"the body names a member twice (line {e.LineNumber + 1}); each member may appear once"
                : $"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine})");
        }
        catch (InvalidOperationException)
        {
            // Checking member names for duplicates unescapes them: a name with an unpaired surrogate fails there (found by the
            // parser runs, issue 28).
            return (null, "the body holds a member name with an unpaired UTF-16 surrogate (\\ud800-\\udfff alone), which is not text");
        }
        if (TextProblem(document.RootElement) is { } problem)
        {
            document.Dispose();
            return (null, problem);
        }
        return (document, null);
    }

    /// <summary>
    /// Whether the parser refused a member named twice. System.Text.Json gives that refusal no type or code of its own, so its
    /// message is the only sign; both the strict parse and the endpoints' binding ask here, so the two answer alike.
    /// </summary>
    public static bool IsDuplicate(JsonException e) => e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase);

    private const string Surrogate = "the body holds a string with an unpaired UTF-16 surrogate (\\ud800-\\udfff alone), which is not text";
    private const string Nul = "the body holds the NUL character (\\u0000) in a string or a member name, which no value may contain";

    /// <summary>Why a string or member name anywhere in the element is not text a record may hold, or null.</summary>
    private static string? TextProblem(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Text(element.GetString);
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (TextProblem(item) is { } problem)
                    {
                        return problem;
                    }
                }
                return null;
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    if ((Text(() => member.Name) ?? TextProblem(member.Value)) is { } problem)
                    {
                        return problem;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    private static string? Text(Func<string?> read)
    {
        try
        {
            return read()?.Contains('\0', StringComparison.Ordinal) == true ? Nul : null;
        }
        catch (InvalidOperationException)
        {
            return Surrogate;
        }
    }
}
