namespace SharingHub.Server.Audit;

/// <summary>
/// The W3C Trace Context <c>traceparent</c> header (version 00): the trace id in it is the correlation id of an exchange
/// between hubs, which both record in their audit entries.
/// </summary>
internal static class TraceParent
{
    public const string Header = "traceparent";

    /// <summary>A new trace id (32 lowercase hex digits, not all zero).</summary>
    public static string NewTraceId() => System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString();

    /// <summary>The header for a request that is part of <paramref name="traceId"/>, with a fresh span id.</summary>
    public static string For(string traceId) => $"00-{traceId}-{System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString()}-01";

    /// <summary>The trace id of a well-formed version-00 header, or null (a malformed header is ignored, as the standard says).</summary>
    public static string? TraceId(string? header)
    {
        if (header is not { Length: 55 } || !header.StartsWith("00-", StringComparison.Ordinal) || header[35] != '-' || header[52] != '-')
        {
            return null;
        }
        var traceId = header.AsSpan(3, 32);
        var spanId = header.AsSpan(36, 16);
        var flags = header.AsSpan(53, 2);
        return IsLowerHex(traceId) && IsLowerHex(spanId) && IsLowerHex(flags) && traceId.ContainsAnyExcept('0') && spanId.ContainsAnyExcept('0')
            ? traceId.ToString()
            : null;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }
        return true;
    }
}
