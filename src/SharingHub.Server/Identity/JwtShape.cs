using System.Buffers.Text;
using System.Text.Json;

namespace SharingHub.Server.Identity;

/// <summary>The parts of a compact JWS that are checked before any library parses it.</summary>
internal sealed record JwtParts(JsonElement Header, JsonElement Payload)
{
    public string? HeaderString(string name) =>
        Header.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public string? PayloadString(string name) =>
        Payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>RFC 7519: exp, nbf and iat are NumericDate, a JSON number. Libraries that accept strings there disagree with each other.</summary>
    public bool DatesAreNumbers() =>
        new[] { "exp", "nbf", "iat" }.All(name => !Payload.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Number);
}

/// <summary>
/// Strict structural checks on a compact JWS, stricter than the JWT library: a bounded size, exactly
/// three canonical base64url parts (so no two encodings of one signature both verify), JSON objects
/// without duplicate names (parsers disagree on which duplicate wins), no key-carrying or key-locating
/// header (jku, x5u, jwk, x5c) and no critical extensions, since the hub understands none.
/// </summary>
internal static class JwtShape
{
    public const int MaxLength = 8 * 1024;
    private static readonly string[] ForbiddenHeaders = ["jku", "x5u", "jwk", "x5c", "crit"];

    public static JwtParts? Check(string token, out string? problem, IReadOnlySet<string>? allowedHeaderUrls = null)
    {
        problem = null;
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
        {
            problem = "token missing or larger than the limit";
            return null;
        }
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[2].Length == 0)
        {
            problem = "not a signed compact JWT";
            return null;
        }
        var header = Decode(parts[0]);
        var payload = Decode(parts[1]);
        var signature = Decode(parts[2]);
        if (header is null || payload is null || signature is null)
        {
            problem = "a part is not canonical base64url";
            return null;
        }
        var headerJson = ParseObject(header, out problem);
        var payloadJson = headerJson is null ? null : ParseObject(payload, out problem);
        if (headerJson is null || payloadJson is null)
        {
            return null;
        }
        foreach (var name in ForbiddenHeaders)
        {
            if (headerJson.Value.TryGetProperty(name, out var value))
            {
                if (name == "jku" && allowedHeaderUrls is not null && value.ValueKind == JsonValueKind.String && allowedHeaderUrls.Contains(value.GetString()!))
                {
                    continue;
                }
                problem = $"header '{name}' is not accepted";
                return null;
            }
        }
        var result = new JwtParts(headerJson.Value, payloadJson.Value);
        if (!result.DatesAreNumbers())
        {
            problem = "a date claim is not a number";
            return null;
        }
        return result;
    }

    private static byte[]? Decode(string part)
    {
        if (part.Length == 0 || part.Contains('=', StringComparison.Ordinal))
        {
            return null;
        }
        var bytes = new byte[Base64Url.GetMaxDecodedLength(part.Length)];
        if (Base64Url.DecodeFromChars(part, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done || consumed != part.Length)
        {
            return null;
        }
        var decoded = bytes[..written];
        // Non-canonical encodings (stray bits in the last character) would let one signature have several spellings.
        return Base64Url.EncodeToString(decoded) == part ? decoded : null;
    }

    private static JsonElement? ParseObject(byte[] utf8, out string? problem)
    {
        problem = null;
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            // JSON text is UTF-8 (RFC 8259); the JSON reader would only notice when a string is read.
            problem = "a part is not valid UTF-8";
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
            if (!HasNoDuplicateNames(ref reader))
            {
                problem = "duplicate JSON member names";
                return null;
            }
            using var doc = JsonDocument.Parse(utf8);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = "a part is not a JSON object";
                return null;
            }
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException: a member name that is not valid UTF-8.
            problem = "a part is not valid JSON";
            return null;
        }
    }

    private static bool HasNoDuplicateNames(ref Utf8JsonReader reader)
    {
        var scopes = new Stack<HashSet<string>>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    scopes.Push(new HashSet<string>(StringComparer.Ordinal));
                    break;
                case JsonTokenType.EndObject:
                    scopes.Pop();
                    break;
                case JsonTokenType.PropertyName when !scopes.Peek().Add(reader.GetString()!):
                    return false;
            }
        }
        return true;
    }
}
