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

/// <summary>
/// A list in a workflow body with an empty item (<c>"subjects": [null]</c>) is the caller's mistake: 400 naming the item, and
/// nothing stored. Before, each of these answered 500 (a generated-input probe of every JSON endpoint found them).
/// </summary>
public abstract class NullListItemTests(DatabaseEngine engine) : HubTest(engine)
{
    public static TheoryData<string, string, string> Bodies() => new()
    {
        { "/enquiries", "{\"subjects\":[{\"person\":\"SUBJECT\",\"role\":\"child\"},null],\"grounds\":\"Bruising seen at school\"}", "subjects[1]" },
        { "/strategy-discussions", "{\"subjects\":[null],\"grounds\":\"Bruising seen at school\"}", "subjects[0]" },
        { "/enquiries", "{\"subjects\":[{\"person\":\"SUBJECT\",\"role\":\"child\"}],\"grounds\":\"Bruising\",\"members\":[null]}", "members[0]" },
        { "/enquiries/CASE/strategy-meetings", "{\"heldAt\":\"2026-09-02T10:00:00Z\",\"attendees\":[null]}", "attendees[0]" },
        { "/enquiries/CASE/strategy-meetings", "{\"heldAt\":\"2026-09-02T10:00:00Z\",\"attendees\":[{\"agency\":\"police\",\"user\":\"demo-police-officer\",\"role\":\"police\"}],\"contributions\":[null]}", "contributions[0]" },
        { "/enquiries/CASE/conferences", "{\"kind\":\"initial\",\"heldAt\":\"2026-09-20T10:00:00Z\",\"attendance\":[{\"agency\":\"police\",\"attended\":true,\"report\":true}],\"decision\":\"plan\",\"coreGroup\":[null]}", "coreGroup[0]" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Given_a_list_with_an_empty_item_then_400_names_it_and_nothing_is_stored(string path, string body, string field) =>
        await RefusedWorkflowBody.AssertAsync(Hub, path, body, field);
}

/// <summary>A body member of the wrong kind, or text that is not JSON, is refused with the member or place named, never the value or a type name of the hub's.</summary>
public abstract class WrongKindMemberTests(DatabaseEngine engine) : HubTest(engine)
{
    public static TheoryData<string, string, string> Bodies() => new()
    {
        { "/enquiries", "{\"subjects\":[{\"person\":1,\"role\":\"child\"}],\"grounds\":\"Bruising seen at school\"}", "the value at $.subjects[0].person is not of the kind" },
        { "/enquiries", "{\"subjects\":\"SUBJECT\",\"grounds\":\"Bruising seen at school\"}", "the value at $.subjects is not of the kind" },
        { "/enquiries", "{\"subjects\":[{\"person\":\"not-an-id\",\"role\":\"child\"}],\"grounds\":\"Bruising\"}", "the value at $.subjects[0].person is not of the kind" },
        { "/enquiries/CASE/strategy-meetings", "{\"heldAt\":true,\"attendees\":[]}", "the value at $.heldAt is not of the kind" },
        { "/enquiries", "[1,2]", "the body must be one JSON object" },
        { "/enquiries", "{\"subjects\":[{\"person\":\"SUBJECT\",\"role\":\"child\"}],\"grounds\":\"Bruising\",\"grounds\":\"None\"}", "the body names $.grounds twice" },
        { "/enquiries", "{\"subjects\":[{\"person\":\"SUBJECT\",\n\"role\":", "the body is not valid JSON (line 2" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Given_a_member_of_the_wrong_kind_then_400_names_where_and_nothing_is_stored(string path, string body, string expected) =>
        await RefusedWorkflowBody.AssertAsync(Hub, path, body, expected);
}

/// <summary>
/// Posts a workflow body the hub must refuse (CASE and SUBJECT stand for a case's enquiry and its child) and asserts what the
/// caller and the store show: 400 problem JSON holding the expected words and none of the hub's type names, and no enquiry,
/// meeting, conference, member or record version stored.
/// </summary>
internal static class RefusedWorkflowBody
{
    public static async Task AssertAsync(FhirTestHub hub, string path, string body, string expected)
    {
        var c = await hub.CaseAsync();
        async Task<(int Enquiries, int Meetings, int Conferences, int Members, int Versions)> CountAsync()
        {
            await using var db = hub.Contexts.Create();
            var theCase = await db.Enquiries.AsNoTracking().Include(e => e.Conferences).Include(e => e.Members).SingleAsync(e => e.Id == c.Enquiry.Id);
            return (await db.Enquiries.CountAsync(), await db.StrategyMeetings.CountAsync(), theCase.Conferences.Count, theCase.Members.Count, await db.RecordHistory.CountAsync());
        }
        var before = await CountAsync();

        using var response = await hub.SendAsync(HttpMethod.Post, path.Replace("CASE", c.Enquiry.Id.ToString(), StringComparison.Ordinal), "demo-la-lcpp",
            content: new StringContent(body.Replace("SUBJECT", c.LaChild.Id.ToString(), StringComparison.Ordinal), Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SharingHub.", text, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }
}

public sealed class SqliteWrongKindMemberTests() : WrongKindMemberTests(DatabaseEngine.Sqlite);

public sealed class PostgresWrongKindMemberTests() : WrongKindMemberTests(DatabaseEngine.Postgres);

public sealed class SqliteNullListItemTests() : NullListItemTests(DatabaseEngine.Sqlite);

public sealed class PostgresNullListItemTests() : NullListItemTests(DatabaseEngine.Postgres);

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
