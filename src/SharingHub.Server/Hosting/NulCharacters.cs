namespace SharingHub.Server.Hosting;

/// <summary>
/// No value the hub reads may hold the NUL character (U+0000): no field of a record means it, PostgreSQL refuses to store
/// or compare it in text, and a search for it would fail in the database rather than at the door. Every audited endpoint
/// refuses an address holding one (%00 in its path or query) before the endpoint reads it, in the API's own error format
/// and with its audit entry (<see cref="Audit.AuditFilter"/>); JSON bodies are refused by <see cref="JsonBodies"/>.
/// </summary>
internal static class NulCharacters
{
    public const string Refusal = "The address holds the NUL character (%00), which no value may contain.";

    public static bool InAddress(HttpContext http) =>
        (http.Request.QueryString.Value ?? "").Contains("%00", StringComparison.Ordinal)
        || (http.Request.Path.Value ?? "").Contains('\0', StringComparison.Ordinal);
}
