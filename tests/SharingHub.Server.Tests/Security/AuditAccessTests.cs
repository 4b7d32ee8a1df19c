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
}

public sealed class SqliteAuditAccessTests() : AuditAccessTests(DatabaseEngine.Sqlite);

public sealed class PostgresAuditAccessTests() : AuditAccessTests(DatabaseEngine.Postgres);
