using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>Partner systems push records: create (conditional), update with If-Match, transactions all or nothing, on each engine.</summary>
public abstract class FhirWriteTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static StringContent Fhir(object resource) => new(JsonSerializer.Serialize(resource), Encoding.UTF8, "application/fhir+json");

    private static object Patient(string nhs = "9990000034", string family = "Pushwell", string? id = null, object? extra = null) => new Dictionary<string, object?>
    {
        ["resourceType"] = "Patient",
        ["id"] = id,
        ["identifier"] = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = nhs } },
        ["name"] = new[] { new { family, given = new[] { "Noah" } } },
        ["gender"] = "male",
        ["birthDate"] = "2017-02-03",
        ["address"] = new[] { new { text = "1 Test Street, Testtown TE1 1ST" } },
        ["telecom"] = extra,
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);

    private static object Observation(string subject, string? reference = "SYS1-0001", string category = "missed-appointment", string dataClass = "health.clinical") => new Dictionary<string, object?>
    {
        ["resourceType"] = "Observation",
        ["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = dataClass } } },
        ["extension"] = new[] { new { url = "urn:sharinghub:fhir:significance", valueCode = "high" } },
        ["identifier"] = reference is null ? null : new[] { new { system = "urn:sharinghub:source-reference:health", value = reference } },
        ["status"] = "final",
        ["category"] = new[] { new { coding = new[] { new { system = "urn:sharinghub:event-category", code = category } } } },
        ["code"] = new { text = "Missed appointment" },
        ["subject"] = new { reference = subject },
        ["effectiveDateTime"] = "2026-10-01T09:30:00Z",
        ["valueString"] = "Missed the 2-year review",
        ["note"] = new[] { new { text = "Health visitor to follow up" } },
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);

    private Task<HttpResponseMessage> PostAsync(string path, object resource, string user = "demo-health-practitioner", string? ifNoneExist = null) =>
        _hub.SendAsync(HttpMethod.Post, path, user, content: Fhir(resource), change: r =>
        {
            if (ifNoneExist is not null)
            {
                r.Headers.TryAddWithoutValidation("If-None-Exist", ifNoneExist);
            }
        });

    private async Task<(int People, int Events)> CountsAsync()
    {
        await using var db = _hub.Contexts.Create();
        return (await db.People.CountAsync(), await db.Events.CountAsync());
    }

    /// <summary>The front door reads a person for a referral about them (front-door-triage is bound to its case).</summary>
    private async Task<Guid> ReferralForAsync(object personId) => (await _hub.ReferralAsync(Guid.Parse(personId.ToString()!), "health")).Id;

    [Fact]
    public async Task Given_a_new_patient_when_pushed_twice_with_if_none_exist_then_it_is_stored_once_and_readable_by_its_agency()
    {
        using var first = await PostAsync("/fhir/Patient", Patient(), ifNoneExist: "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000034");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal("W/\"1\"", first.Headers.ETag?.ToString());
        var location = first.Headers.Location!.ToString();
        var id = location.Split('/')[^3];

        using var again = await PostAsync("/fhir/Patient", Patient(), ifNoneExist: "identifier=https://fhir.nhs.uk/Id/nhs-number|999%20000%200034");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(location, again.Headers.Location!.ToString());
        Assert.Equal(1, (await CountsAsync()).People);

        using var read = await _hub.TriageAsync($"/fhir/Patient/{id}", "demo-health-practitioner", await ReferralForAsync(id));
        var patient = await FhirTestHub.JsonAsync(read);
        Assert.Equal("Pushwell", patient.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("2017-02-03", patient.GetProperty("birthDate").GetString());
        Assert.Equal("TE1 1ST", patient.GetProperty("address")[0].GetProperty("postalCode").GetString());
    }

    [Theory]
    [InlineData("9990000035", "Patient.identifier[0].value")]
    [InlineData("9990000034", "Patient.telecom")]
    public async Task Given_an_invalid_patient_then_422_names_the_element_and_nothing_is_stored(string nhs, string expression)
    {
        using var response = await PostAsync("/fhir/Patient", Patient(nhs, extra: expression.EndsWith("telecom", StringComparison.Ordinal) ? new[] { new { value = "x" } } : null));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = await FhirTestHub.JsonAsync(response);
        Assert.Contains(outcome.GetProperty("issue").EnumerateArray(), i => i.GetProperty("expression")[0].GetString() == expression);
        Assert.Equal(0, (await CountsAsync()).People);
    }

    [Fact]
    public async Task Given_malformed_bodies_then_each_gets_its_own_status_and_nothing_is_stored()
    {
        using var notJson = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-health-practitioner", content: new StringContent("{\"resourceType\": \"Patient\",", Encoding.UTF8, "application/fhir+json"));
        using var wrongType = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-health-practitioner", content: new StringContent("<Patient/>", Encoding.UTF8, "application/xml"));
        using var tooBig = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-health-practitioner", content: new StringContent(new string(' ', 2 << 20), Encoding.UTF8, "application/fhir+json"));
        using var otherResource = await PostAsync("/fhir/Patient", new { resourceType = "Observation" });

        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, otherResource.StatusCode);
        Assert.Equal("OperationOutcome", (await FhirTestHub.JsonAsync(notJson)).GetProperty("resourceType").GetString());
        Assert.Equal(0, (await CountsAsync()).People);
    }

    [Fact]
    public async Task Given_an_update_then_if_match_is_required_a_stale_version_is_refused_and_only_the_owner_may_update()
    {
        using var created = await PostAsync("/fhir/Patient", Patient());
        var id = created.Headers.Location!.ToString().Split('/')[^3];
        Task<HttpResponseMessage> Put(string? ifMatch, string user = "demo-health-practitioner") =>
            _hub.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", user, content: Fhir(Patient(family: "Renamed", id: id)), change: r =>
            {
                if (ifMatch is not null)
                {
                    r.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(ifMatch));
                }
            });

        using var missing = await Put(null);
        using var updated = await Put("W/\"1\"");
        using var stale = await Put("W/\"1\"");
        using var foreign = await Put("W/\"2\"", "demo-police-officer");

        Assert.Equal(HttpStatusCode.PreconditionFailed, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("W/\"2\"", updated.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Contains("version 2", (await FhirTestHub.JsonAsync(stale)).GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        using var read = await _hub.TriageAsync($"/fhir/Patient/{id}", "demo-health-practitioner", await ReferralForAsync(id));
        var patient = await FhirTestHub.JsonAsync(read);
        Assert.Equal("Renamed", patient.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("9990000034", Assert.Single(patient.GetProperty("identifier").EnumerateArray()).GetProperty("value").GetString());
    }

    [Fact]
    public async Task Given_an_updated_patient_then_vread_and_history_show_each_version_to_those_who_may_see_it_now()
    {
        using var created = await PostAsync("/fhir/Patient", Patient());
        var id = created.Headers.Location!.ToString().Split('/')[^3];
        using var updated = await _hub.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", "demo-health-practitioner", content: Fhir(Patient(family: "Renamed", id: id)),
            change: r => r.Headers.IfMatch.Add(EntityTagHeaderValue.Parse("W/\"1\"")));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);

        using var first = await _hub.TriageAsync($"/fhir/Patient/{id}/_history/1", "demo-la-front-door", await ReferralForAsync(id));
        using var second = await _hub.TriageAsync($"/fhir/Patient/{id}/_history/2", "demo-la-front-door", await ReferralForAsync(id));
        using var third = await _hub.TriageAsync($"/fhir/Patient/{id}/_history/3", "demo-la-front-door", await ReferralForAsync(id));
        using var history = await _hub.TriageAsync($"/fhir/Patient/{id}/_history", "demo-la-front-door", await ReferralForAsync(id));
        using var refused = await _hub.GetAsync($"/fhir/Patient/{id}/_history", "demo-education-fhlp", "family-help");

        Assert.Equal("Pushwell", (await FhirTestHub.JsonAsync(first)).GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("1", (await FhirTestHub.JsonAsync(first)).GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("Renamed", (await FhirTestHub.JsonAsync(second)).GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal(HttpStatusCode.NotFound, third.StatusCode);
        var bundle = await FhirTestHub.JsonAsync(history);
        Assert.Equal("history", bundle.GetProperty("type").GetString());
        Assert.Equal(["2", "1"], bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("meta").GetProperty("versionId").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);

        using var provenance = await _hub.TriageAsync($"/fhir/Provenance?target=Patient/{id}", "demo-la-front-door", await ReferralForAsync(id));
        using var hiddenProvenance = await _hub.GetAsync($"/fhir/Provenance?target=Patient/{id}", "demo-education-fhlp", "family-help");
        var activities = (await FhirTestHub.JsonAsync(provenance)).GetProperty("entry").EnumerateArray()
            .Select(e => e.GetProperty("resource").GetProperty("activity").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal(["CREATE", "UPDATE"], activities);
        Assert.Equal(0, (await FhirTestHub.JsonAsync(hiddenProvenance)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Given_events_pushed_again_then_if_none_exist_makes_it_idempotent_and_a_plain_duplicate_is_a_conflict()
    {
        using var created = await PostAsync("/fhir/Patient", Patient());
        var subject = "Patient/" + created.Headers.Location!.ToString().Split('/')[^3];

        using var first = await PostAsync("/fhir/Observation", Observation(subject), ifNoneExist: "identifier=urn:sharinghub:source-reference:trust-northgate|SYS1-0001");
        using var repeat = await PostAsync("/fhir/Observation", Observation(subject), ifNoneExist: "identifier=urn:sharinghub:source-reference:trust-northgate|SYS1-0001");
        using var duplicate = await PostAsync("/fhir/Observation", Observation(subject));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal(first.Headers.Location, repeat.Headers.Location);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(1, (await CountsAsync()).Events);
    }

    [Fact]
    public async Task Given_an_event_about_another_agencys_patient_or_in_another_agencys_class_then_it_is_refused()
    {
        var c = await _hub.CaseAsync();

        using var foreignSubject = await PostAsync("/fhir/Observation", Observation($"Patient/{c.PoliceChild.Id}"));
        using var foreignClass = await PostAsync("/fhir/Observation", Observation($"Patient/{c.HealthChild.Id}", dataClass: "police.intelligence"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, foreignSubject.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, foreignClass.StatusCode);
        Assert.Equal("Observation.meta.tag", (await FhirTestHub.JsonAsync(foreignClass)).GetProperty("issue")[0].GetProperty("expression")[0].GetString());
    }

    [Fact]
    public async Task Given_a_transaction_then_patient_and_events_land_together_and_one_bad_entry_leaves_nothing_behind()
    {
        object Bundle(bool spoil) => new
        {
            resourceType = "Bundle",
            type = "transaction",
            entry = new object[]
            {
                new { fullUrl = "urn:uuid:7b0c1c52-1111-4a5e-9f00-000000000001", resource = Patient(), request = new { method = "POST", url = "Patient" } },
                new { resource = Observation("urn:uuid:7b0c1c52-1111-4a5e-9f00-000000000001", "SYS1-T1"), request = new { method = "POST", url = "Observation" } },
                new { resource = Observation("urn:uuid:7b0c1c52-1111-4a5e-9f00-000000000001", "SYS1-T2", spoil ? "Not A Code" : "hospital-attendance"), request = new { method = "POST", url = "Observation" } },
            },
        };

        using var failed = await PostAsync("/fhir", Bundle(spoil: true));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, failed.StatusCode);
        Assert.Equal("2", failed.Headers.GetValues("X-Failed-Entry").Single());
        Assert.Equal((0, 0), await CountsAsync());

        using var ok = await PostAsync("/fhir", Bundle(spoil: false));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var response = await FhirTestHub.JsonAsync(ok);
        Assert.Equal("transaction-response", response.GetProperty("type").GetString());
        Assert.Equal(["201 Created", "201 Created", "201 Created"], response.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()));
        Assert.Equal((1, 2), await CountsAsync());
        using var replayed = await PostAsync("/fhir", Bundle(spoil: false));
        Assert.Equal(HttpStatusCode.Conflict, replayed.StatusCode);
        Assert.Equal((1, 2), await CountsAsync());
        var patientId = response.GetProperty("entry")[0].GetProperty("response").GetProperty("location").GetString()!.Split('/')[1];
        using var events = await _hub.TriageAsync($"/fhir/Observation?patient={patientId}", "demo-health-practitioner", await ReferralForAsync(patientId));
        Assert.Equal(2, (await FhirTestHub.JsonAsync(events)).GetProperty("total").GetInt32());
    }

    /// <summary>A transaction of a new patient and one event about them; spoilt, the event's category is not a code the hub knows (422).</summary>
    private static object PatientWithEvent(string nhs, bool spoil) => new
    {
        resourceType = "Bundle",
        type = "transaction",
        entry = new object[]
        {
            new { fullUrl = "urn:uuid:7b0c1c52-2222-4a5e-9f00-000000000001", resource = Patient(nhs), request = new { method = "POST", url = "Patient" } },
            new { resource = Observation("urn:uuid:7b0c1c52-2222-4a5e-9f00-000000000001", "SYS1-K1", spoil ? "Not A Code" : "hospital-attendance"), request = new { method = "POST", url = "Observation" } },
        },
    };

    [Fact]
    public async Task Given_a_transaction_refused_at_an_entry_then_its_staging_span_ends_with_the_request()
    {
        // The request carries a trace of its own, so only its spans are looked at (other tests send bundles at the same time).
        var trace = ActivityTraceId.CreateRandom();
        var stages = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is Core.Telemetry.HubDiagnostics.Name or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = activity =>
            {
                if (activity.TraceId == trace && activity.OperationName == "write.stage")
                {
                    stages.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var refused = await _hub.SendAsync(HttpMethod.Post, "/fhir", "demo-health-practitioner", content: Fhir(PatientWithEvent("9990000034", spoil: true)),
            change: r => r.Headers.TryAddWithoutValidation("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("1", refused.Headers.GetValues("X-Failed-Entry").Single());
        var stage = Assert.Single(stages);
        Assert.True(stage.IsStopped, "the staging span of a refused transaction was never stopped");
    }

    [Fact]
    public async Task Given_a_new_patient_then_its_own_key_is_stored_with_it_and_a_refused_transaction_leaves_no_key_behind()
    {
        async Task<List<Data.Keys.DataKeyRow>> SubjectKeysAsync()
        {
            await using var db = _hub.Contexts.Create();
            return (await db.DataKeys.AsNoTracking().ToListAsync()).Where(k => k.DataClass.Contains('@', StringComparison.Ordinal)).ToList();
        }

        // The patient is staged (and its fields sealed) before the bad entry is found: its key must not outlive it.
        using var refused = await PostAsync("/fhir", PatientWithEvent("9990000034", spoil: true));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Empty(await SubjectKeysAsync());

        using var created = await PostAsync("/fhir", PatientWithEvent("9990000042", spoil: false));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var id = Guid.Parse((await FhirTestHub.JsonAsync(created)).GetProperty("entry")[0].GetProperty("response").GetProperty("location").GetString()!.Split('/')[1]);
        var key = Assert.Single(await SubjectKeysAsync());
        Assert.Equal((Core.Crypto.FieldContext.SubjectScope("person.demographics", id), 1), (key.DataClass, key.Generation));

        // What the hub sealed opens with the stored key alone: a key ring that has cached nothing (another node, or this one restarted).
        var ring = new SharingHub.Crypto.Keys.DataKeyRing(_hub.Services.GetRequiredService<Core.Crypto.IDataKeyStore>(),
            _hub.Services.GetRequiredService<Core.Crypto.IKeyEncryptionKeyProvider>(), TimeProvider.System);
        var cold = new SharingHub.Crypto.Fields.AesGcmFieldCipher(ring);
        await using var read = _hub.Contexts.Create();
        var person = await read.People.AsNoTracking().SingleAsync(p => p.Id == id);
        Assert.Equal("Pushwell", cold.Decrypt(person.FamilyName, Core.Crypto.SensitiveFields.For(person, nameof(Core.Records.Person.FamilyName))).Value);
    }

    [Theory]
    [InlineData("consent")]
    [InlineData("audit")]
    [InlineData("referral")]
    [InlineData("address.confidential")]
    [InlineData("police.incident")]
    public async Task Given_an_event_tagged_with_a_class_the_writer_does_not_own_then_422_and_nothing_is_stored(string dataClass)
    {
        using var created = await PostAsync("/fhir/Patient", Patient());
        var id = created.Headers.Location!.ToString().Split('/')[^3];

        using var response = await PostAsync("/fhir/Observation", Observation("Patient/" + id, dataClass: dataClass));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("Observation.meta.tag", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await CountsAsync()).Events);
    }

    [Fact]
    public async Task Given_the_log_holds_writes_then_the_ig_officer_reads_and_exports_every_entry_as_a_fhir_audit_event()
    {
        using var created = await PostAsync("/fhir/Patient", Patient());
        var id = created.Headers.Location!.ToString().Split('/')[^3];
        using var observed = await PostAsync("/fhir/Observation", Observation("Patient/" + id));
        using var refused = await PostAsync("/fhir/Patient", Patient(), user: "demo-northgate-ig");
        Assert.Equal(HttpStatusCode.Created, observed.StatusCode);

        // The writer works for Northgate trust: its IG officer reads the trail of what its people did.
        using var search = await _hub.GetAsync("/fhir/AuditEvent?_count=100", "demo-northgate-ig", "audit-review");
        using var export = await _hub.GetAsync("/audit/export?format=fhir-ndjson", "demo-northgate-ig", "audit-review");

        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        var events = (await FhirTestHub.JsonAsync(search)).GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource")).ToList();
        var create = Assert.Single(events, e => e.GetProperty("subtype")[0].GetProperty("code").GetString() == "fhir.create" && e.GetProperty("outcome").GetString() == "0"
            && e.GetProperty("entity")[0].GetProperty("what").GetProperty("identifier").GetProperty("value").GetString() == id);
        Assert.Equal("C", create.GetProperty("action").GetString());
        Assert.Contains(create.GetProperty("entity")[0].GetProperty("detail").EnumerateArray(), d => d.GetProperty("type").GetString() == "operation");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 3, $"{lines.Length} lines exported");
        Assert.All(lines, l => Assert.Equal("AuditEvent", JsonDocument.Parse(l).RootElement.GetProperty("resourceType").GetString()));
    }

    [Fact]
    public async Task Given_an_ig_officer_then_writing_is_refused_and_the_refusal_is_audited()
    {
        using var response = await PostAsync("/fhir/Patient", Patient(), user: "demo-health-ig");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var db = _hub.Contexts.Create();
        var entry = await db.AuditEntries.AsNoTracking().OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.Equal(("fhir.create", "denied"), (entry.Action, entry.Outcome));
        Assert.Equal(0, (await CountsAsync()).People);
    }
}

public sealed class SqliteFhirWriteTests() : FhirWriteTests(DatabaseEngine.Sqlite);

public sealed class PostgresFhirWriteTests() : FhirWriteTests(DatabaseEngine.Postgres);
