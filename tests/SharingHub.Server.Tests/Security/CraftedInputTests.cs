using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>Crafted inputs get the caller's error in the API's own format, never a 5xx, and every one is audited (issue 18, item 10).</summary>
public abstract class CraftedInputTests(DatabaseEngine engine) : HubTest(engine)
{

    public static TheoryData<string, string, string?> Inputs() => new()
    {
        { "GET", "/fhir/Observation?patient=Patient/00000000-0000-0000-0000-000000000001&date=ge9999-12-31", null },
        { "GET", "/fhir/Observation?patient=Patient/00000000-0000-0000-0000-000000000001&date=le0001-01-01", null },
        { "GET", "/fhir/Observation?patient=Patient/00000000-0000-0000-0000-000000000001&date=gt9999-12-31T23:59:59Z", null },
        { "GET", "/fhir/Patient/00000000-0000-0000-0000-000000000001/$chronology?from=9999-12&to=9999-12-31", null },
        { "GET", "/odata/Events?$filter=category eq 'a%00b'", null },
        { "GET", "/odata/Events?$filter=contains(summary,'%00')", null },
        { "GET", "/odata/Events?$filter=occurredAt ge 9999-12-31T23:59:59Z", null },
        { "POST", "/fhir/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"\\ud800\"}]}" },
        { "POST", "/fhir", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[1]}" },
        { "POST", "/fhir", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[null,\"x\",{\"resource\":1}]}" },
        { "POST", "/odata/People", "{\"givenName\":\"\\udc00\",\"familyName\":\"X\",\"birthDate\":\"2015-01-01\"}" },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Given_a_crafted_input_then_the_answer_is_the_callers_error_and_the_request_is_audited(string method, string path, string? body)
    {
        long before;
        await using (var db = Hub.Contexts.Create())
        {
            before = await db.AuditEntries.CountAsync();
        }
        var contentType = path.StartsWith("/fhir", StringComparison.Ordinal) ? "application/fhir+json" : "application/json";
        // A read names the referral it is for, so the crafted input reaches the parsers rather than the case check.
        var c = await Hub.CaseAsync();
        var referral = await Hub.ReferralAsync(c.HealthChild);
        using var response = await Hub.SendAsync(new HttpMethod(method), path, "demo-health-practitioner", method == "GET" ? "front-door-triage" : null,
            content: body is null ? null : new StringContent(body, Encoding.UTF8, contentType),
            change: method == "GET" ? r => r.Headers.TryAddWithoutValidation("X-Referral-Id", referral.Id.ToString()) : null);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 200 and < 500, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        await using (var db = Hub.Contexts.Create())
        {
            Assert.Equal(before + 1, await db.AuditEntries.CountAsync());
        }
    }
}

public sealed class WorkflowBodyLimitTests() : HubTest(DatabaseEngine.Sqlite)
{
    [Theory]
    [InlineData("/enquiries")]
    [InlineData("/information-requests/00000000-0000-0000-0000-000000000001/responses")]
    public async Task Given_a_workflow_body_over_a_mebibyte_then_413_and_nothing_is_stored(string path)
    {
        var body = "{\"grounds\":\"" + new string('x', 2 << 20) + "\"}";
        using var response = await Hub.SendAsync(HttpMethod.Post, path, "demo-la-lcpp", content: new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await using var db = Hub.Contexts.Create();
        Assert.False(await db.Enquiries.AnyAsync());
    }
}

public sealed class SqliteCraftedInputTests() : CraftedInputTests(DatabaseEngine.Sqlite);

public sealed class PostgresCraftedInputTests() : CraftedInputTests(DatabaseEngine.Postgres);
