using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Writing;

/// <summary>
/// Consent as a family gives it, written by the agency that sought it over FHIR and OData: a consent naming no data classes
/// lets the Family Help practitioner read the child's records under family-help; once withdrawn, the next read is refused;
/// both reads are audited with the consent they relied on.
/// </summary>
public abstract class ConsentWriteTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const string Fhlp = "demo-la-fhlp";
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static StringContent Fhir(object resource) => new(JsonSerializer.Serialize(resource), Encoding.UTF8, "application/fhir+json");

    private static Dictionary<string, object?> Consent(Guid child, string status = "active", object? period = null, string[]? recipients = null) => new()
    {
        ["resourceType"] = "Consent",
        ["identifier"] = new[] { new { system = "urn:sharinghub:source-reference:la", value = "FH-CONSENT-1" } },
        ["status"] = status,
        ["scope"] = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/consentscope", code = "patient-privacy" } } },
        ["category"] = new[] { new { coding = new[] { new { system = "http://loinc.org", code = "59284-0" } } } },
        ["patient"] = new { reference = $"Patient/{child}" },
        ["policyRule"] = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/v3-ActCode", code = "OPTIN" } } },
        ["provision"] = new
        {
            type = "permit",
            period = period ?? new { start = "2026-09-01T09:00:00Z" },
            actor = (recipients ?? ["la"]).Select(a => new
            {
                role = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code = "IRCP" } } },
                reference = new { identifier = new { system = "urn:sharinghub:agency", value = a } },
            }).ToArray(),
            purpose = new[] { new { system = "urn:sharinghub:purpose", code = "family-help" } },
        },
    };

    private async Task<(HttpStatusCode Status, string Body, string RequestId)> ChronologyAsync(Guid child)
    {
        using var response = await _hub.GetAsync($"/fhir/Patient/{child}/$chronology", Fhlp, "family-help");
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.GetValues("X-Request-Id").Single());
    }

    private async Task<string> AuditBodyAsync(string requestId)
    {
        await using var db = _hub.Contexts.Create();
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.RequestId == requestId);
        return entry.Body;
    }

    [Fact]
    public async Task Given_a_consent_naming_no_data_classes_then_family_help_reads_the_childs_records_until_it_is_withdrawn()
    {
        var c = await _hub.CaseAsync("Consentwell");
        // Without the family's agreement, Family Help reads nothing of the child.
        Assert.DoesNotContain("Missed immunisation appointment", (await ChronologyAsync(c.LaChild.Id)).Body, StringComparison.Ordinal);

        using var created = await _hub.SendAsync(HttpMethod.Post, "/fhir/Consent", Fhlp, content: Fhir(Consent(c.LaChild.Id)),
            change: r => r.Headers.TryAddWithoutValidation("If-None-Exist", "identifier=urn:sharinghub:source-reference:la|FH-CONSENT-1"));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var consentId = created.Headers.Location!.ToString().Split('/')[^3];

        // The consent names no data classes: it covers what the rules allow for Family Help (a summary of health contacts).
        var (read, body, requestId) = await ChronologyAsync(c.LaChild.Id);
        Assert.True(read == HttpStatusCode.OK, body);
        Assert.Contains("Missed immunisation appointment", body, StringComparison.Ordinal);
        Assert.Contains(consentId, await AuditBodyAsync(requestId), StringComparison.Ordinal);

        // The family withdraws it: recorded as the consent going inactive, at its moment.
        using var withdrawn = await _hub.SendAsync(HttpMethod.Put, $"/fhir/Consent/{consentId}", Fhlp, content: Fhir(Consent(c.LaChild.Id, "inactive")),
            change: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        Assert.True(withdrawn.StatusCode == HttpStatusCode.OK, await withdrawn.Content.ReadAsStringAsync());
        await using (var db = _hub.Contexts.Create())
        {
            var stored = await db.Consents.AsNoTracking().SingleAsync(x => x.Id == Guid.Parse(consentId));
            Assert.Equal(Core.Records.ConsentStatus.Withdrawn, stored.Status);
            Assert.NotNull(stored.WithdrawnAt);
        }
        var (after, afterBody, afterRequest) = await ChronologyAsync(c.LaChild.Id);
        Assert.DoesNotContain("Missed immunisation appointment", afterBody, StringComparison.Ordinal);
        Assert.NotEqual(HttpStatusCode.InternalServerError, after);
        Assert.Contains(consentId, await AuditBodyAsync(afterRequest), StringComparison.Ordinal);
        // A withdrawal is not undone by a later write: a new agreement is a new consent.
        using var revived = await _hub.SendAsync(HttpMethod.Put, $"/fhir/Consent/{consentId}", Fhlp, content: Fhir(Consent(c.LaChild.Id)),
            change: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"2\""));
        await using (var db = _hub.Contexts.Create())
        {
            Assert.Equal(Core.Records.ConsentStatus.Withdrawn, (await db.Consents.AsNoTracking().SingleAsync(x => x.Id == Guid.Parse(consentId))).Status);
        }
    }

    [Fact]
    public async Task Given_consents_written_over_odata_then_unknown_agencies_and_purposes_are_refused_by_name_and_a_patch_withdraws()
    {
        var c = await _hub.CaseAsync("Consentodata");
        Dictionary<string, object?> Body() => new()
        {
            ["subjectPersonId"] = c.LaChild.Id, ["grantor"] = "self", ["decision"] = "permit", ["recipientAgencies"] = new[] { "la", "health" },
            ["purposes"] = new[] { "family-help" }, ["dataClasses"] = Array.Empty<string>(), ["periodStart"] = "2026-09-01T09:00:00Z", ["sourceReference"] = "FH-2",
        };
        foreach (var (field, value) in new (string, object)[] { ("recipientAgencies", new[] { "la", "the-pub" }), ("purposes", new[] { "curiosity" }), ("decision", "maybe") })
        {
            var bad = Body();
            bad[field] = value;
            using var refused = await _hub.SendAsync(HttpMethod.Post, "/odata/Consents", Fhlp, content: JsonContent.Create(bad));
            var error = (await FhirTestHub.JsonAsync(refused)).GetProperty("error");
            Assert.Equal((HttpStatusCode.BadRequest, field), (refused.StatusCode, error.GetProperty("target").GetString()));
        }
        // Parental responsibility names the person who has it, as the writer's own record of them.
        var parental = Body();
        parental["grantor"] = "parentalResponsibility";
        using (var noGrantor = await _hub.SendAsync(HttpMethod.Post, "/odata/Consents", Fhlp, content: JsonContent.Create(parental)))
        {
            Assert.Equal("grantorPersonId", (await FhirTestHub.JsonAsync(noGrantor)).GetProperty("error").GetProperty("target").GetString());
        }
        await using (var db = _hub.Contexts.Create())
        {
            Assert.Equal(0, await db.Consents.CountAsync(x => x.SubjectPersonId == c.LaChild.Id));
        }

        using var created = await _hub.SendAsync(HttpMethod.Post, "/odata/Consents", Fhlp, content: JsonContent.Create(Body()));
        var row = await FhirTestHub.JsonAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, row.ToString());
        var id = row.GetProperty("id").GetGuid();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var patched = await _hub.SendAsync(HttpMethod.Patch, $"/odata/Consents({id})", Fhlp, content: JsonContent.Create(new { status = "withdrawn", withdrawnAt = at }),
            change: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        Assert.True(patched.StatusCode == HttpStatusCode.NoContent, await patched.Content.ReadAsStringAsync());
        await using (var db = _hub.Contexts.Create())
        {
            var stored = await db.Consents.AsNoTracking().SingleAsync(x => x.Id == id);
            Assert.Equal(Core.Records.ConsentStatus.Withdrawn, stored.Status);
            Assert.Equal(["la", "health"], stored.RecipientAgencies);
            Assert.Equal(at.ToUnixTimeSeconds(), stored.WithdrawnAt!.Value.ToUnixTimeSeconds());
        }
    }
}

public sealed class SqliteConsentWriteTests() : ConsentWriteTests(DatabaseEngine.Sqlite);

public sealed class PostgresConsentWriteTests() : ConsentWriteTests(DatabaseEngine.Postgres);
