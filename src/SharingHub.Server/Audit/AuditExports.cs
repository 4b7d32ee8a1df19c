using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Audit;

/// <summary>
/// Exports of the IG officer's view: CSV for spreadsheets, and FHIR R4 AuditEvent NDJSON shaped after
/// IHE Basic Audit Log Patterns (purposeOfUse on the agent, the rules that decided as agent policy).
/// </summary>
internal static class AuditExports
{
    private const int MaxRows = 100_000;

    /// <summary>FHIR JSON has no nulls and no empty arrays: absent elements are left out.</summary>
    private static readonly JsonSerializerOptions FhirJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static async Task<IResult> ExportAsync(HttpContext http, PolicyDecisionPoint policy, Data.Cluster.LagTolerantReads reads, AuditScope scope,
        TimeProvider clock, [AsParameters] AuditFilters filters, string? format, CancellationToken ct)
    {
        if (format is not ("csv" or "fhir-ndjson"))
        {
            return Results.Json(new { error = "invalid_format", error_description = "format must be csv or fhir-ndjson" }, statusCode: 400);
        }
        if ((AuditAccess.Authorise(http, policy, scope, clock) ?? AuditAccess.UnknownParameter(http, "format")) is { } refusal)
        {
            return refusal;
        }
        var viewer = http.HubPrincipal();
        long count;
        // Lag-tolerant: counted and streamed from one source (a replica within its stated lag, else the primary).
        var source = reads.Choose();
        await using (var db = reads.Create(source))
        {
            // The audit entry says how many entries the export discloses, and it commits before the first byte is sent.
            count = Math.Min(await filters.Apply(db, viewer).LongCountAsync(ct), MaxRows);
        }
        scope.Count = (int)count;
        return new StreamedExport(reads, source, filters, viewer, format, count, policy.Policy);
    }

    /// <summary>
    /// The export written as it is read: one entry in memory at a time, whatever the size of the log (a
    /// whole export held as one string took hundreds of megabytes per request). Entries appended after the
    /// count was taken are not included, so the export holds exactly what its audit entry counted.
    /// </summary>
    private sealed class StreamedExport(Data.Cluster.LagTolerantReads reads, Data.Cluster.ReadSource source, AuditFilters filters, HubPrincipal viewer, string format, long count, Policies.Model.PolicySet policy) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var ct = httpContext.RequestAborted;
            httpContext.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/fhir+ndjson";
            await using var writer = new StreamWriter(httpContext.Response.Body, new UTF8Encoding(false), 64 * 1024);
            if (format == "csv")
            {
                await writer.WriteAsync("sequence,recorded_at,agency,user,purpose,enquiry,action,outcome,decision,override,subjects,owners,review_before_disclosure,organisation\r\n");
            }
            await using var db = reads.Create(source);
            var written = 0;
            await foreach (var row in filters.Apply(db, viewer).OrderBy(a => a.Sequence).Take((int)count).AsAsyncEnumerable().WithCancellation(ct))
            {
                row.Body = AuditViews.Body(row.Body, viewer.Organisation);
                await writer.WriteAsync(format == "csv" ? CsvLine(row, policy) : JsonSerializer.Serialize(AuditEvent(row), FhirJson) + "\n");
                if (++written % 1_000 == 0)
                {
                    await writer.FlushAsync(ct);
                }
            }
            await writer.FlushAsync(ct);
        }
    }

    private static string CsvLine(AuditEntry a, Policies.Model.PolicySet policy) => string.Join(',', new[]
    {
        a.Sequence.ToString(CultureInfo.InvariantCulture), a.RecordedAt.ToString("O", CultureInfo.InvariantCulture), a.Agency, a.Actor,
        a.Purpose ?? "", a.EnquiryId?.ToString("D") ?? "", a.Action, a.Outcome, a.Decision, a.IsOverride ? "true" : "false",
        a.Subjects.Trim('|').Replace('|', ' '), a.Owners.Trim('|').Replace('|', ' '), AuditView.ReviewBeforeDisclosure(a, policy) ? "true" : "false", a.Organisation,
    }.Select(Field)) + "\r\n";

    /// <summary>RFC 4180 quoting, and a leading quote on anything a spreadsheet would run as a formula.</summary>
    private static string Field(string value)
    {
        var safe = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return safe.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : safe;
    }

    /// <summary>
    /// One entry as a FHIR AuditEvent. Total over every kind of line an entry can hold: decisions (permit or
    /// deny), writes (an operation, no decision), brokered exchanges (a partner, no record ids).
    /// </summary>
    public static object AuditEvent(AuditEntry a)
    {
        using var body = JsonDocument.Parse(a.Body);
        var resources = body.RootElement.TryGetProperty("resources", out var found) && found.ValueKind == JsonValueKind.Array
            ? found.EnumerateArray().ToList()
            : [];
        var rules = resources.SelectMany(r => r.TryGetProperty("rules", out var ids) && ids.ValueKind == JsonValueKind.Array
                ? ids.EnumerateArray().Select(i => i.GetString()).OfType<string>()
                : []).Distinct().ToList();
        var entities = resources.SelectMany(Entities).ToList();
        var operations = resources.Select(r => Text(r, "operation")).OfType<string>().Distinct().ToList();
        return new
        {
            resourceType = "AuditEvent",
            id = a.Sequence.ToString(CultureInfo.InvariantCulture),
            type = new { system = "http://terminology.hl7.org/CodeSystem/audit-event-type", code = "rest", display = "RESTful Operation" },
            subtype = new[] { new { system = "urn:sharinghub:action", code = a.Action } },
            action = operations.Count == 1 ? operations[0] switch { "create" => "C", "update" => "U", "delete" => "D", _ => "E" } : "E",
            recorded = a.RecordedAt.ToString("yyyy-MM-ddTHH:mm:ss.fffK", CultureInfo.InvariantCulture),
            outcome = a.Outcome switch { "success" => "0", "denied" or "rejected" or "not-found" => "4", _ => "8" },
            outcomeDesc = $"{a.Outcome}; decision {a.Decision}{(a.IsOverride ? "; override" : "")}",
            agent = new[]
            {
                new
                {
                    type = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/extra-security-role-type", code = "humanuser" } } },
                    who = new { identifier = new { system = "urn:sharinghub:agency:" + a.Agency, value = a.Actor } },
                    requestor = true,
                    policy = rules.Count == 0 ? null : rules,
                    purposeOfUse = a.Purpose is null ? null : new[] { new { coding = new[] { new { system = "urn:sharinghub:purpose-of-use", code = a.Purpose } } } },
                },
            },
            source = new
            {
                observer = new { display = "SharingHub" },
                type = new[] { new { system = "http://terminology.hl7.org/CodeSystem/security-source-type", code = "4", display = "Application Server" } },
            },
            entity = entities.Count == 0 ? null : entities,
        };
    }

    private static IEnumerable<object> Entities(JsonElement line)
    {
        // Another agency's refused records, as this reader may know of them (AuditViews): whose and how many, nothing else.
        if (!line.TryGetProperty("ids", out _) && line.TryGetProperty("count", out var refused) && Text(line, "owner") is { } owner)
        {
            return [new
            {
                what = new { display = $"records held by {owner}" },
                type = new { system = "urn:sharinghub:entity", code = "refused-records" },
                detail = new[] { new { type = "decision", valueString = "deny" }, new { type = "owner", valueString = owner }, new { type = "idCount", valueString = refused.ToString() } },
            }];
        }
        var type = Text(line, "type") ?? "unknown";
        var detail = new[] { ("decision", Text(line, "decision")), ("operation", Text(line, "operation")), ("state", Text(line, "state")), ("agency", Text(line, "agency")) }
            .Where(d => d.Item2 is not null)
            .Select(d => new { type = d.Item1, valueString = d.Item2! })
            .ToList();
        var dataClass = Text(line, "dataClass");
        var labels = dataClass is null ? null : new[] { new { system = "urn:sharinghub:data-class", code = dataClass } };
        // A broad line lists its first ids with the count and digest of all (see BoundedIds).
        var first = default(JsonElement);
        if (line.TryGetProperty("ids", out var bounded) && bounded.ValueKind == JsonValueKind.Object && bounded.TryGetProperty("first", out first))
        {
            detail.Add(new { type = "idCount", valueString = bounded.GetProperty("count").ToString() });
            detail.Add(new { type = "idDigest", valueString = bounded.GetProperty("sha256").GetString()! });
        }
        var listed = bounded.ValueKind == JsonValueKind.Array ? bounded : bounded.ValueKind == JsonValueKind.Object ? first : default;
        if (listed.ValueKind == JsonValueKind.Array)
        {
            return listed.EnumerateArray().Select(id => (object)new
            {
                what = new { identifier = new { system = "urn:sharinghub:" + type, value = id.ToString() } },
                securityLabel = labels,
                detail = detail.Count == 0 ? null : detail,
            }).ToList();
        }
        // A line about something other than a stored record (a partner exchange): named, not identified.
        var name = Text(line, "partner") ?? type;
        return [new { what = new { display = name }, type = new { system = "urn:sharinghub:entity", code = type }, detail = detail.Count == 0 ? null : detail }];
    }

    private static string? Text(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.ToString(),
            _ => null,
        } : null;
}
