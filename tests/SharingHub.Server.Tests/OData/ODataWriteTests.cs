using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.OData;

/// <summary>OData writes of an agency's own people and events, with ETags, under the same rules as FHIR writes, on each engine.</summary>
public abstract class ODataWriteTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string user, string json, string? ifMatch = null) =>
        _hub.SendAsync(method, path, user, content: new StringContent(json, Encoding.UTF8, "application/json"),
            change: r =>
            {
                if (ifMatch is not null)
                {
                    r.Headers.TryAddWithoutValidation("If-Match", ifMatch);
                }
            });

    private static async Task<(string Code, string? Target)> ErrorOf(HttpResponseMessage response)
    {
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        return (error.GetProperty("code").GetString()!, error.TryGetProperty("target", out var t) ? t.GetString() : null);
    }

    private static string EventJson(Guid subject, string summary = "Reported missing from home", string reference = "NICHE-OD-1") =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["occurredAt"] = "2026-10-20T21:30:00Z", ["category"] = "missing-episode", ["significance"] = "high", ["summary"] = summary,
            ["detail"] = "Found by officers at 23:10", ["dataClass"] = "police.incident", ["sourceReference"] = reference,
            ["subjects@odata.bind"] = new[] { $"People({subject})" },
        });

    [Fact]
    public async Task Given_a_police_system_records_and_corrects_an_event_then_the_lcpp_reads_each_version_and_the_writes_are_audited()
    {
        var c = await _hub.CaseAsync();

        using var created = await SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", EventJson(c.PoliceChild.Id));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("W/\"1\"", created.Headers.ETag?.ToString());
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        Assert.EndsWith($"/odata/Events({id})", created.Headers.Location!.ToString(), StringComparison.Ordinal);

        using var corrected = await SendAsync(HttpMethod.Patch, $"/odata/Events({id})", "demo-police-officer", """{"summary":"Reported missing by her mother","significance":"critical"}""", "W/\"1\"");
        Assert.Equal(HttpStatusCode.NoContent, corrected.StatusCode);
        Assert.Equal("W/\"2\"", corrected.Headers.ETag?.ToString());

        using var read = await _hub.GetAsync($"/odata/Events({id})", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var ev = JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Reported missing by her mother", ev.GetProperty("summary").GetString());
        Assert.Equal("Found by officers at 23:10", ev.GetProperty("detail").GetString());
        Assert.Equal("critical", ev.GetProperty("significance").GetString());
        Assert.Equal("W/\"2\"", ev.GetProperty("@odata.etag").GetString());
        using var first = await _hub.GetAsync($"/fhir/Observation/{id}/_history/1", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Contains("Reported missing from home", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var stale = await SendAsync(HttpMethod.Patch, $"/odata/Events({id})", "demo-police-officer", """{"summary":"x"}""", "W/\"1\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        using var unguarded = await SendAsync(HttpMethod.Patch, $"/odata/Events({id})", "demo-police-officer", """{"summary":"x"}""");
        Assert.Equal(HttpStatusCode.PreconditionRequired, unguarded.StatusCode);
        using var foreign = await SendAsync(HttpMethod.Patch, $"/odata/Events({id})", "demo-la-lcpp", """{"summary":"x"}""", "W/\"2\"");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);

        await using var db = _hub.Contexts.Create();
        var actions = await db.AuditEntries.Where(a => a.Actor == "demo-police-officer" && a.Action.StartsWith("odata.")).OrderBy(a => a.Sequence)
            .Select(a => a.Action + " " + a.Outcome).ToListAsync();
        Assert.Equal(["odata.create success", "odata.update success", "odata.update rejected", "odata.update rejected"], actions);
    }

    [Fact]
    public async Task Given_bad_bodies_then_each_is_refused_by_name_and_nothing_is_stored()
    {
        var c = await _hub.CaseAsync();
        await using var db = _hub.Contexts.Create();
        var before = await db.Events.CountAsync();
        var cases = new (string Json, HttpStatusCode Status, string Code, string? Target)[]
        {
            ("""{"nosuch":"x"}""", HttpStatusCode.BadRequest, "InvalidBody", null),
            ("""{"occurredAt":"yesterday"}""", HttpStatusCode.BadRequest, "InvalidBody", null),
            ("""{"id":"00000000-0000-0000-0000-000000000001","summary":"x"}""", HttpStatusCode.BadRequest, "InvalidBody", "id"),
            ("not json", HttpStatusCode.BadRequest, "InvalidBody", null),
            (EventJson(c.HealthChild.Id), HttpStatusCode.BadRequest, "InvalidBody", "subjects"),
            (EventJson(c.PoliceChild.Id).Replace("police.incident", "health.clinical", StringComparison.Ordinal), HttpStatusCode.BadRequest, "InvalidBody", "dataClass"),
            (EventJson(c.PoliceChild.Id).Replace("missing-episode", "Missing Episode!", StringComparison.Ordinal), HttpStatusCode.BadRequest, "InvalidBody", "category"),
            (EventJson(c.PoliceChild.Id, summary: new string('x', 2_001)), HttpStatusCode.BadRequest, "InvalidBody", "summary"),
            ("""{"summary":"x","subjects@odata.bind":["People(00000000-0000-0000-0000-000000000001)"]}""", HttpStatusCode.BadRequest, "InvalidBody", "occurredAt"),
        };
        foreach (var (json, status, code, target) in cases)
        {
            using var response = await SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", json);
            Assert.True(response.StatusCode == status, $"{json[..Math.Min(60, json.Length)]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var error = await ErrorOf(response);
            Assert.Equal(code, error.Code);
            if (target is not null)
            {
                Assert.Equal(target, error.Target);
            }
        }
        using (var once = await SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", EventJson(c.PoliceChild.Id, reference: "DUP-1")))
        {
            Assert.Equal(HttpStatusCode.Created, once.StatusCode);
        }
        using var twice = await SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", EventJson(c.PoliceChild.Id, reference: "DUP-1"));
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        using var reviewer = await SendAsync(HttpMethod.Post, "/odata/Events", "demo-la-ig", EventJson(c.LaChild.Id));
        Assert.Equal((HttpStatusCode.Forbidden, "Forbidden"), (reviewer.StatusCode, (await ErrorOf(reviewer)).Code));
        using var workflow = await SendAsync(HttpMethod.Post, "/odata/Enquiries", "demo-la-lcpp", "{}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, workflow.StatusCode);

        Assert.Equal(before + 1, await db.Events.CountAsync());
    }

    [Fact]
    public async Task Given_a_person_created_and_changed_through_odata_then_fhir_finds_them_by_identifier_and_unchanged_fields_are_kept()
    {
        using var created = await SendAsync(HttpMethod.Post, "/odata/People", "demo-police-officer",
            """{"givenName":"Kai","familyName":"Odatatest","birthDate":"2015-04-03","sex":"male","pncId":"2020/0054321""" + Core.People.AgencyIdentifiers.PncCheckLetter("20", "0054321") + "\"}");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        using var moved = await SendAsync(HttpMethod.Patch, $"/odata/People({id})", "demo-police-officer", """{"address":"4 Synthetic Row, LC05 9ZZ"}""", "W/\"1\"");
        Assert.Equal(HttpStatusCode.NoContent, moved.StatusCode);
        using var badBirth = await SendAsync(HttpMethod.Patch, $"/odata/People({id})", "demo-police-officer", """{"birthDate":"2099-01-01"}""", "W/\"2\"");
        Assert.Equal(("InvalidBody", "birthDate"), await ErrorOf(badBirth));

        var triage = (await _hub.ReferralAsync(Guid.Parse(id!), "police")).Id;
        using var found = await _hub.TriageAsync("/odata/People?$filter=familyName eq 'Odatatest' and birthDate eq 2015-04-03", "demo-police-officer", triage);
        var person = Assert.Single(JsonDocument.Parse(await found.Content.ReadAsStringAsync()).RootElement.GetProperty("value").EnumerateArray());
        Assert.Equal("Kai", person.GetProperty("givenName").GetString());
        Assert.Equal("4 Synthetic Row, LC05 9ZZ", person.GetProperty("address").GetString());
        Assert.Equal("child", person.GetProperty("kind").GetString());
        Assert.Equal("W/\"2\"", person.GetProperty("@odata.etag").GetString());
    }
}

public sealed class SqliteODataWriteTests() : ODataWriteTests(DatabaseEngine.Sqlite);

public sealed class PostgresODataWriteTests() : ODataWriteTests(DatabaseEngine.Postgres);
