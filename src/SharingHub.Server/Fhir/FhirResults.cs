using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharingHub.Server.Fhir;

/// <summary>How the FHIR API writes resources and errors: application/fhir+json, nulls left out, OperationOutcome for every failure.</summary>
internal static class FhirResults
{
    public const string ContentType = "application/fhir+json; charset=utf-8";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Served as application/fhir+json only, never inside HTML: '+' and apostrophes need no escaping.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IResult Resource(object resource, int status = StatusCodes.Status200OK, string? etag = null, string? location = null, string? lastModified = null) =>
        new FhirResult(resource, status, etag, location, lastModified);

    public static IResult Outcome(int status, string code, string diagnostics, string? expression = null) =>
        Resource(new OperationOutcome([new OperationOutcomeIssue("error", code, diagnostics, Expression: expression is null ? null : [expression])]), status);

    public static IResult BadRequest(string diagnostics, string? expression = null) => Outcome(400, "invalid", diagnostics, expression);

    /// <summary>
    /// The FHIR form of an error the host answers: the code is the issue type when it is one (transient, throttled,
    /// exception ...); a hub code (purpose_required, enquiry_required ...) becomes an issue of type required or
    /// invalid carrying the hub code as its details, as purpose refusals always have.
    /// </summary>
    public static IResult Error(Hosting.ApiError error) => error.Code.Contains('_', StringComparison.Ordinal)
        ? Resource(new OperationOutcome([new OperationOutcomeIssue("error", error.Code == "purpose_required" ? "required" : "invalid", error.Detail,
            CodeableConcept.Of("urn:sharinghub:error", error.Code))]), error.Status)
        : Outcome(error.Status, error.Code, error.Detail);

    public static IResult NotSupported(string diagnostics) => Outcome(400, "not-supported", diagnostics);

    /// <summary>
    /// One answer for "no such record" and "a record you may not know of", so a refusal never confirms
    /// that something exists (DESIGN: not known and known-but-withheld look the same).
    /// </summary>
    public static IResult NotFound(string type, string id) => Outcome(404, "not-found", $"{type}/{id} is not known");

    public static IResult Forbidden(string diagnostics) => Outcome(403, "forbidden", diagnostics);

    public static IResult Conflict(string diagnostics) => Outcome(409, "conflict", diagnostics);

    public static IResult PreconditionFailed(string diagnostics) => Outcome(412, "conflict", diagnostics);

    public static IResult Unprocessable(string diagnostics, string? expression = null) => Outcome(422, "processing", diagnostics, expression);

    private sealed class FhirResult(object resource, int status, string? etag, string? location, string? lastModified) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = ContentType;
            if (etag is not null)
            {
                response.Headers.ETag = etag;
            }
            if (location is not null)
            {
                response.Headers.Location = location;
            }
            if (lastModified is not null)
            {
                response.Headers.LastModified = lastModified;
            }
            using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity("response.write");
            await JsonSerializer.SerializeAsync(response.Body, resource, resource.GetType(), Json, httpContext.RequestAborted);
        }
    }
}
