using System.Text.Json;

namespace SharingHub.Server.Fhir.Write;

/// <summary>The problems found in a submitted resource, each with the FHIRPath of the element at fault.</summary>
internal sealed class InputErrors
{
    private readonly List<OperationOutcomeIssue> _issues = [];

    public bool Any => _issues.Count > 0;

    public void Add(string expression, string message) => _issues.Add(new OperationOutcomeIssue("error", "invalid", message, Expression: [expression]));

    /// <summary>422: the JSON was read, but the resource breaks the hub's rules for it.</summary>
    public IResult ToResult() => FhirResults.Resource(new OperationOutcome(_issues), StatusCodes.Status422UnprocessableEntity);
}

/// <summary>Reads a FHIR JSON body with a size limit; a body that is too big, not JSON, or of the wrong type is refused before anything is stored.</summary>
internal static class FhirBody
{
    public const int MaxBytes = Hosting.BoundedBody.MaxBytes;
    public const int MaxTransactionBytes = 8 << 20;

    public static async Task<(JsonElement Root, IResult? Problem)> ReadAsync(HttpContext http, string expectedType, int maxBytes = MaxBytes)
    {
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (mediaType is not ("application/fhir+json" or "application/json"))
        {
            return (default, FhirResults.Outcome(415, "not-supported", "send the resource as application/fhir+json"));
        }
        // Reading the body and the hub's own parse of it (the profiler's "fhir.json"; the SDK's strict parse follows as "fhir.parse").
        var reading = Core.Telemetry.HubDiagnostics.Source.StartActivity("fhir.json");
        if (await Hosting.BoundedBody.ReadAsync(http.Request.Body, http.Request.ContentLength, maxBytes, http.RequestAborted) is not { } body)
        {
            reading?.Dispose();
            return (default, FhirResults.Outcome(413, "too-costly", $"the body is larger than the {maxBytes} bytes accepted"));
        }
        if (Hosting.JsonBodies.CharsetProblem(http.Request.ContentType) is { } charset)
        {
            reading?.Dispose();
            return (default, FhirResults.Outcome(415, "not-supported", charset));
        }
        var (document, invalid) = Hosting.JsonBodies.Parse(body);
        if (document is null)
        {
            reading?.Dispose();
            return (default, FhirResults.BadRequest(invalid!));
        }
        using (document)
        {
            var root = document.RootElement.Clone();
            reading?.Dispose();
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return (default, FhirResults.BadRequest("the body is not a FHIR resource (no resourceType)", "resourceType"));
            }
            if (type.GetString() != expectedType)
            {
                return (default, FhirResults.BadRequest($"expected a {expectedType}, got a {SearchParameters.Safe(type.GetString()!)}", "resourceType"));
            }
            if (StrictR4.Problems(body) is { } problems)
            {
                return (default, FhirResults.Resource(new OperationOutcome(problems), StatusCodes.Status400BadRequest));
            }
            return (root, null);
        }
    }
}
