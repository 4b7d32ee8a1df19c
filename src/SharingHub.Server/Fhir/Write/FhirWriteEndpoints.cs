using System.Globalization;
using System.Text.Json;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Fhir.Write;

/// <summary>Which resource types are the writable kinds (created and updated like Patient).</summary>
internal static class FhirWriterKinds
{
    public static bool Writable(string type) => Writing.Kinds.KindWriter.ForFhir(type) is not null;
}

/// <summary>Creates, updates and transaction bundles: an agency's case system (or practitioner) writes its own organisation's records.</summary>
internal static class FhirWriteEndpoints
{
    public const int MaxTransactionEntries = 1_000;

    public static RouteGroupBuilder MapFhirWrites(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/Patient", (HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit) =>
            SingleAsync(http, writer, contexts, audit, FhirTypes.Patient, 'c', (db, root, owner, ct) =>
                writer.CreatePatientAsync(db, owner, root, http.Request.Headers["If-None-Exist"].FirstOrDefault(), ct))).Audited("fhir.create").Takes(Access.HubActions.RecordWrite);
        fhir.MapPut("/Patient/{id}", (string id, HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit) =>
            Guid.TryParse(id, out var guid)
                ? SingleAsync(http, writer, contexts, audit, FhirTypes.Patient, 'u', (db, root, owner, ct) =>
                    writer.UpdatePatientAsync(db, owner, guid, root, http.Request.Headers.IfMatch.FirstOrDefault(), ct))
                : Task.FromResult(FhirResults.NotFound(FhirTypes.Patient, SearchParameters.Safe(id)))).Audited("fhir.update").Takes(Access.HubActions.RecordWrite);
        fhir.MapPost("/Observation", (HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit) =>
            SingleAsync(http, writer, contexts, audit, FhirTypes.Observation, 'c', (db, root, owner, ct) =>
                writer.CreateObservationAsync(db, owner, root, http.Request.Headers["If-None-Exist"].FirstOrDefault(), new Dictionary<string, Guid>(), ct))).Audited("fhir.create").Takes(Access.HubActions.RecordWrite);
        fhir.MapPost("/Task", (HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit) =>
            SingleAsync(http, writer, contexts, audit, "Task", 'c', (db, root, owner, ct) => writer.CreateReferralAsync(db, owner, root, ct))).Audited("fhir.create").Takes(Access.HubActions.RecordWrite);
        // Every other kind an organisation shares (states, involvements...): one create and one update, as Patient's.
        foreach (var kind in Writing.Kinds.KindWriter.Kinds)
        {
            fhir.MapPost("/" + kind.FhirType, (HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit) =>
                SingleAsync(http, writer, contexts, audit, kind.FhirType, 'c', (db, root, owner, ct) =>
                    writer.CreateKindAsync(db, owner, kind, root, http.Request.Headers["If-None-Exist"].FirstOrDefault(), new Dictionary<string, Guid>(), ct)))
                .Audited("fhir.create").Takes(Access.HubActions.RecordWrite);
            fhir.MapPut("/" + kind.FhirType + "/{id}", (string id, HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit) =>
                Guid.TryParse(id, out var guid)
                    ? SingleAsync(http, writer, contexts, audit, kind.FhirType, 'u', (db, root, owner, ct) =>
                        writer.UpdateKindAsync(db, owner, kind, guid, root, http.Request.Headers.IfMatch.FirstOrDefault(), ct))
                    : Task.FromResult(FhirResults.NotFound(kind.FhirType, SearchParameters.Safe(id)))).Audited("fhir.update").Takes(Access.HubActions.RecordWrite);
        }
        fhir.MapPost("/", (HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit) =>
            TransactionAsync(http, writer, contexts, audit)).Audited("fhir.transaction").Takes(Access.HubActions.RecordWrite);
        return fhir;
    }

    /// <summary>A partner system needs the SMART scope for the type (who may write at all is the endpoint's action, record.write).</summary>
    private static IResult? WriteRefusal(HttpContext http, string type, char permission) =>
        Access.SmartScopes.ScopeProblem(http, type, permission) is { } problem ? FhirResults.Forbidden(problem) : null;

    private static async Task<IResult> SingleAsync(HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit, string type, char permission,
        Func<HubDbContext, JsonElement, Writing.RecordOwner, CancellationToken, Task<WriteOutcome>> write)
    {
        if (WriteRefusal(http, type, permission) is { } refusal)
        {
            return refusal;
        }
        if (PurposeOfUse.ForWrite(http, http.RequestServices.GetRequiredService<PolicyDecisionPoint>(), audit) is { } purposeProblem)
        {
            return purposeProblem.Refusal(http);
        }
        var (root, problem) = await FhirBody.ReadAsync(http, type);
        if (problem is not null)
        {
            return problem;
        }
        var owner = Writing.RecordOwner.Of(http.HubPrincipal());
        await using var db = contexts.Create();
        var outcome = await write(db, root, owner, http.RequestAborted);
        if (outcome.Problem is not null)
        {
            return outcome.Problem;
        }
        if (await writer.SaveAsync(db, http.RequestAborted) is { } conflict)
        {
            return conflict;
        }
        var record = outcome.Record!;
        var created = outcome.Created;
        audit.RecordWrite(RecordFacts.For(record), created ? "create" : permission == 'u' ? "update" : "matched");
        var alerts = created ? await http.RequestServices.GetRequiredService<Writing.ChildAlerts>().RaiseAsync(db, [record], audit, http.RequestAborted) : [];
        var location = $"{FhirEndpoints.BaseUrl(http)}/{type}/{record.Id}/_history/{record.Version}";
        return FhirResults.Resource(Informational(outcome.Message ?? (created ? $"{type}/{record.Id} created" : permission == 'u' ? $"{type}/{record.Id} updated to version {record.Version}" : $"{type}/{record.Id} already exists"), alerts),
            created ? StatusCodes.Status201Created : StatusCodes.Status200OK, record.ETag, location);
    }

    private static async Task<IResult> TransactionAsync(HttpContext http, FhirWriter writer, IHubDbContextFactory contexts, AuditScope audit)
    {
        if (PurposeOfUse.ForWrite(http, http.RequestServices.GetRequiredService<PolicyDecisionPoint>(), audit) is { } purposeProblem)
        {
            return purposeProblem.Refusal(http);
        }
        var (bundle, problem) = await FhirBody.ReadAsync(http, "Bundle", FhirBody.MaxTransactionBytes);
        if (problem is not null)
        {
            return problem;
        }
        if (ResourceInput.Text(bundle, "type") != "transaction")
        {
            return FhirResults.NotSupported("only transaction bundles are accepted at the base (batch is not supported)");
        }
        var entries = ResourceInput.Array(bundle, "entry").ToList();
        if (entries.Count is 0 or > MaxTransactionEntries)
        {
            return FhirResults.BadRequest($"a transaction holds 1 to {MaxTransactionEntries} entries");
        }
        var plan = new List<(int Index, string Method, string Type, Guid? Id, JsonElement Entry)>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].ValueKind != JsonValueKind.Object || !entries[i].TryGetProperty("resource", out var resource) || resource.ValueKind != JsonValueKind.Object)
            {
                return FhirResults.BadRequest($"entry {i} must be an object holding a resource and its request", $"Bundle.entry[{i}]");
            }
            var request = entries[i].TryGetProperty("request", out var r) ? r : default;
            var method = ResourceInput.Text(request, "method");
            var url = ResourceInput.Text(request, "url") ?? "";
            var parts = url.Split('/');
            var step = (method, parts.Length, parts[0]) switch
            {
                ("POST", 1, FhirTypes.Patient or FhirTypes.Observation) => (method, parts[0], (Guid?)null),
                ("POST", 1, var kind) when Writing.Kinds.KindWriter.ForFhir(kind) is not null => (method, parts[0], (Guid?)null),
                ("PUT", 2, var kind) when (kind == FhirTypes.Patient || Writing.Kinds.KindWriter.ForFhir(kind) is not null) && Guid.TryParse(parts[1], out var id) => (method, parts[0], id),
                _ => default,
            };
            if (step.method is null)
            {
                return FhirResults.BadRequest($"entry {i}: a transaction holds POST Patient, PUT Patient/{{id}}, POST Observation, and POST or PUT of "
                    + string.Join(", ", Writing.Kinds.KindWriter.Kinds.Select(k => k.FhirType)), $"Bundle.entry[{i}].request");
            }
            if (WriteRefusal(http, step.Item2, method == "POST" ? 'c' : 'u') is { } refusal)
            {
                return refusal;
            }
            plan.Add((i, step.method, step.Item2, step.Item3, entries[i]));
        }
        // FHIR's processing order: creates before updates; patients before the events that refer to them.
        var ordered = plan.OrderBy(p => p.Method == "PUT" ? 1 : 0).ThenBy(p => p.Type == FhirTypes.Patient ? 0 : 1).ThenBy(p => p.Index).ToList();
        var owner = Writing.RecordOwner.Of(http.HubPrincipal());
        var placeholders = new Dictionary<string, Guid>(StringComparer.Ordinal);
        var results = new (WriteOutcome Outcome, string Method)[entries.Count];
        await using var db = contexts.Create();
        var ct = http.RequestAborted;
        var references = plan.Where(p => p.Type == FhirTypes.Observation && p.Entry.TryGetProperty("resource", out _))
            .SelectMany(p => ResourceInput.Array(p.Entry.GetProperty("resource"), "identifier").Select(i => ResourceInput.Text(i, "value")).OfType<string>())
            .Distinct(StringComparer.Ordinal).ToList();
        var stored = await Writing.RecordWriter.StoredReferencesAsync(db, owner, references, ct);
        // Mapping, checks and sealing of every entry, before anything is saved (the profiler's "write.stage"), stopped on
        // every way out: a span left running on a refused entry would be the parent of everything after it in the request.
        using (Core.Telemetry.HubDiagnostics.Source.StartActivity("write.stage"))
        {
            foreach (var (index, method, type, id, entry) in ordered)
            {
                if (!entry.TryGetProperty("resource", out var resource) || ResourceInput.Text(resource, "resourceType") != type)
                {
                    return FhirResults.BadRequest($"entry {index}: the resource must be a {type}", $"Bundle.entry[{index}].resource");
                }
                var request = entry.GetProperty("request");
                var outcome = (method, type) switch
                {
                    ("POST", FhirTypes.Patient) => await writer.CreatePatientAsync(db, owner, resource, ResourceInput.Text(request, "ifNoneExist"), ct),
                    ("PUT", FhirTypes.Patient) => await writer.UpdatePatientAsync(db, owner, id!.Value, resource, ResourceInput.Text(request, "ifMatch"), ct),
                    ("PUT", _) => await writer.UpdateKindAsync(db, owner, Writing.Kinds.KindWriter.ForFhir(type)!, id!.Value, resource, ResourceInput.Text(request, "ifMatch"), ct),
                    ("POST", not (FhirTypes.Patient or FhirTypes.Observation)) =>
                        await writer.CreateKindAsync(db, owner, Writing.Kinds.KindWriter.ForFhir(type)!, resource, ResourceInput.Text(request, "ifNoneExist"), placeholders, ct),
                    _ => await writer.CreateObservationAsync(db, owner, resource, ResourceInput.Text(request, "ifNoneExist"), placeholders, ct, stored),
                };
                if (outcome.Problem is not null)
                {
                    // Nothing has been saved: the staged changes die with the context.
                    http.Response.Headers["X-Failed-Entry"] = index.ToString(CultureInfo.InvariantCulture);
                    return outcome.Problem;
                }
                if (ResourceInput.Text(entry, "fullUrl") is { } fullUrl && fullUrl.StartsWith("urn:uuid:", StringComparison.Ordinal))
                {
                    placeholders[fullUrl] = outcome.Record!.Id;
                }
                results[index] = (outcome, method);
            }
        }
        if (await writer.SaveAsync(db, ct) is { } conflict)
        {
            return conflict;
        }
        var baseUrl = FhirEndpoints.BaseUrl(http);
        foreach (var (outcome, method) in results)
        {
            audit.RecordWrite(RecordFacts.For(outcome.Record!), outcome.Created ? "create" : method == "PUT" ? "update" : "matched");
        }
        IReadOnlyList<Writing.ChildAlert> alerts;
        using (Core.Telemetry.HubDiagnostics.Source.StartActivity("write.alerts"))
        {
            alerts = await http.RequestServices.GetRequiredService<Writing.ChildAlerts>().RaiseAsync(db, results.Where(r => r.Outcome.Created).Select(r => r.Outcome.Record!), audit, ct);
        }
        return FhirResults.Resource(new Bundle("transaction-response")
        {
            Timestamp = FhirMapping.Instant(DateTimeOffset.UtcNow),
            Entry = results.Select(r => new BundleEntry(null, null, Response: new BundleEntryResponse(
                r.Outcome.Created ? "201 Created" : "200 OK",
                $"{FhirTypes.TypeOf(r.Outcome.Record!)}/{r.Outcome.Record!.Id}/_history/{r.Outcome.Record.Version}",
                r.Outcome.Record.ETag,
                FhirMapping.Instant(r.Outcome.Record.UpdatedAt),
                alerts.Any(a => a.Event == r.Outcome.Record.Id)
                    ? Informational($"{FhirTypes.TypeOf(r.Outcome.Record)}/{r.Outcome.Record.Id} created", alerts.Where(a => a.Event == r.Outcome.Record.Id).ToList()) : null))).ToList(),
        });
    }

    /// <summary>The write's outcome, with a warning for each alert it raised (the child's state and whom to contact).</summary>
    private static OperationOutcome Informational(string message, IReadOnlyList<Writing.ChildAlert>? alerts = null) =>
        new([new OperationOutcomeIssue("information", "informational", message),
            .. (alerts ?? []).Select(a => new OperationOutcomeIssue("warning", "informational", a.Words))]);
}
