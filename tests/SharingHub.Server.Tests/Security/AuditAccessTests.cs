using System.Net;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>Only an IG officer under audit-review reads the audit trail; a practitioner or partner system of the same agency does not, on any path (issue 18, high).</summary>
public abstract class AuditAccessTests(DatabaseEngine engine) : HubTest(engine)
{

    private static readonly string[] Paths =
    [
        "/audit/entries", "/audit/export?format=csv", "/audit/export?format=fhir-ndjson", "/audit/reports/volume", "/audit/reports/overrides",
        "/fhir/AuditEvent", "/odata/AuditEntries",
    ];

    [Theory]
    [InlineData("demo-la-front-door", "front-door-triage")]
    [InlineData("demo-la-lcpp", "s47-enquiry")]
    [InlineData("demo-police-officer", "s47-enquiry")]
    public async Task Given_a_practitioner_under_a_case_purpose_then_every_audit_path_is_refused_and_shows_no_entry(string user, string purpose)
    {
        var c = await Hub.CaseAsync();
        (await Hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id)).Dispose();

        foreach (var path in Paths)
        {
            using var response = await Hub.GetAsync(path, user, purpose, c.Enquiry.Id);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path} as {user} under {purpose}: {(int)response.StatusCode} {body}");
            Assert.DoesNotContain("demo-la-lcpp", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Given_the_ig_officer_under_audit_review_then_every_audit_path_answers()
    {
        var c = await Hub.CaseAsync();
        (await Hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id)).Dispose();

        foreach (var path in Paths)
        {
            using var response = await Hub.GetAsync(path, "demo-la-ig", "audit-review");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Given_a_read_refused_another_agencys_record_then_only_the_owners_ig_officer_learns_which_record_and_whom_it_was_about()
    {
        var c = await Hub.CaseAsync();
        var triage = (await Hub.ReferralAsync(c.LaChild)).Id;
        // The front door sees police incidents of the last two years: an older one is decided, and refused.
        var old = await Hub.Store.AddAsync(Hub.Builder.Event(c.PoliceChild, "police", "Old incident", DateTimeOffset.UtcNow.AddDays(-1_000),
            "NICHE-OLD-1", "police.incident", "An incident three years ago", "police-attendance"), CancellationToken.None);
        using (var refused = await Hub.TriageAsync($"/fhir/Observation/{old.Id}", "demo-la-front-door", triage))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
        var secrets = new[] { old.Id.ToString(), c.PoliceChild.Id.ToString(), "police.incident" };

        // The requester's IG officer sees the refusal (who, when, which agency's records, how many) on every path, and nothing of what they were.
        foreach (var path in Paths.Append("/audit/entries?user=demo-la-front-door"))
        {
            using var response = await Hub.GetAsync(path, "demo-la-ig", "audit-review");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            Assert.True(path.StartsWith("/audit/reports/", StringComparison.Ordinal) || body.Contains("demo-la-front-door", StringComparison.Ordinal), $"{path} does not list the refusal");
            Assert.All(secrets, secret => Assert.False(body.Contains(secret, StringComparison.Ordinal), $"{path} shows {secret} to the requester's IG officer"));
        }
        using (var bySubject = await Hub.GetAsync($"/audit/entries?subject={c.PoliceChild.Id}", "demo-la-ig", "audit-review"))
        {
            Assert.Empty((await FhirTestHub.JsonAsync(bySubject)).GetProperty("entries").EnumerateArray());
        }
        using var mine = await Hub.GetAsync("/audit/entries?user=demo-la-front-door", "demo-la-ig", "audit-review");
        var line = (await FhirTestHub.JsonAsync(mine)).GetProperty("entries").EnumerateArray()
            .SelectMany(e => e.GetProperty("details").GetProperty("resources").EnumerateArray()).Single(r => r.GetProperty("decision").GetString() == "deny");
        Assert.Equal("police", line.GetProperty("owner").GetString());
        Assert.Equal(1, line.GetProperty("count").GetInt32());

        // The owning agency's IG officer sees the line in full: the record, its class and whom it was about.
        using var owners = await Hub.GetAsync("/audit/entries?user=demo-la-front-door", "demo-police-ig", "audit-review");
        var full = await owners.Content.ReadAsStringAsync();
        Assert.All(secrets, secret => Assert.Contains(secret, full, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Given_an_export_streamed_while_the_log_grows_then_it_holds_exactly_the_entries_its_own_audit_entry_counts()
    {
        var c = await Hub.CaseAsync();
        for (var i = 0; i < 5; i++)
        {
            (await Hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id)).Dispose();
        }

        using var csv = await Hub.GetAsync("/audit/export?format=csv", "demo-la-ig", "audit-review");
        using var ndjson = await Hub.GetAsync("/audit/export?format=fhir-ndjson", "demo-la-ig", "audit-review");
        var csvLines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var events = (await ndjson.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

        using var log = await Hub.GetAsync("/audit/entries?user=demo-la-ig", "demo-la-ig", "audit-review");
        var exports = (await FhirTestHub.JsonAsync(log)).GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("action").GetString() == "audit.export").ToList();
        Assert.Equal(2, exports.Count);
        Assert.Equal(exports[0].GetProperty("details").GetProperty("count").GetInt32(), csvLines.Count);
        Assert.Equal(exports[1].GetProperty("details").GetProperty("count").GetInt32(), events.Count);
        // The second export was counted after the first was audited: it holds one more entry, not the one it made itself.
        Assert.Equal(csvLines.Count + 1, events.Count);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.All(events, e => Assert.Equal("AuditEvent", System.Text.Json.JsonDocument.Parse(e).RootElement.GetProperty("resourceType").GetString()));
    }
}

public sealed class SqliteAuditAccessTests() : AuditAccessTests(DatabaseEngine.Sqlite);

public sealed class PostgresAuditAccessTests() : AuditAccessTests(DatabaseEngine.Postgres);
