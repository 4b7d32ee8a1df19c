using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>
/// Referrals as the front door needs them: urgency sets the deadline (a red one within the hours the policy sets, around the
/// clock; amber the next working day; green in three), the referrer is given an acknowledgement reference, contacts are told
/// apart from referrals, and a decision carries its rationale and the manager who signed it off and can be revised with reasons.
/// </summary>
public abstract class ReferralUrgencyTests(DatabaseEngine engine) : IAsyncLifetime
{
    // Friday 28 August 2026, 23:00 in London (BST), after hours before the summer bank holiday weekend.
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 8, 28, 22, 0, 0, TimeSpan.Zero));
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine, null, _clock);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static readonly MediaTypeHeaderValue FhirJson = new("application/fhir+json");

    private async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body, string? Id)> ReferAsync(CaseRecords c, string? priority, string kind = "referral")
    {
        var task = new Dictionary<string, object?>
        {
            ["resourceType"] = "Task", ["status"] = "requested", ["intent"] = "order",
            ["code"] = new { coding = new object[] { new { system = "urn:sharinghub:task", code = "referral" }, new { system = "urn:sharinghub:front-door-kind", code = kind } } },
            ["for"] = new { reference = $"Patient/{c.PoliceChild.Id}" }, ["description"] = "Found alone at night near the canal",
            ["reasonCode"] = new { coding = new[] { new { system = "urn:sharinghub:concern-category", code = "neglect" } } },
        };
        if (priority is not null)
        {
            task["priority"] = priority;
        }
        using var response = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: JsonContent.Create(task, FhirJson));
        return (response.StatusCode, await FhirTestHub.JsonAsync(response), response.Headers.Location?.ToString().Split('/')[^3]);
    }

    private async Task<System.Text.Json.JsonElement> TaskAsync(string id)
    {
        using var read = await _hub.GetAsync($"/fhir/Task/{id}", "demo-police-front-door", "front-door-triage");
        var body = await FhirTestHub.JsonAsync(read);
        Assert.True(read.StatusCode == HttpStatusCode.OK, body.ToString());
        return body;
    }

    private async Task<(HttpStatusCode Status, string Body)> DecideAsync(string id, string decision, string? rationale = null, string? manager = null, bool revise = false)
    {
        var parameters = new List<object> { new { name = "decision", valueCode = decision } };
        if (rationale is not null)
        {
            parameters.Add(new { name = "rationale", valueString = rationale });
        }
        if (manager is not null)
        {
            parameters.Add(new { name = "signedOffBy", valueString = manager });
        }
        if (revise)
        {
            parameters.Add(new { name = "revise", valueBoolean = true });
        }
        using var response = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{id}/$decide", "demo-la-front-door", "front-door-triage",
            content: JsonContent.Create(new { resourceType = "Parameters", parameter = parameters }, FhirJson),
            change: r => r.Headers.TryAddWithoutValidation("X-Referral-Id", id));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    // Red: within 4 hours of clock time, in the night before a bank holiday weekend.
    [InlineData("asap", "2026-08-29T02:00:00Z", "red")]
    // Amber: one working day; after hours on Friday, with Monday a bank holiday, that is the end of Tuesday.
    [InlineData("urgent", "2026-09-01T16:00:00Z", "amber")]
    [InlineData(null, "2026-09-01T16:00:00Z", "amber")]
    // Green: three working days, the end of Thursday.
    [InlineData("routine", "2026-09-03T16:00:00Z", "green")]
    public async Task Given_a_referral_of_each_urgency_then_its_decision_falls_due_as_the_policy_sets_and_the_referrer_is_acknowledged(string? priority, string due, string urgency)
    {
        var c = await _hub.CaseAsync();
        var (status, body, id) = await ReferAsync(c, priority);

        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var acknowledgement = body.GetProperty("issue")[0].GetProperty("diagnostics").GetString()!;
        Assert.Matches($"acknowledged as FD-260828-[0-9A-F]{{6}}, {(urgency == "amber" ? "an" : "a")} {urgency} referral, to be decided by {due[..19]}", acknowledgement);
        var task = await TaskAsync(id!);
        Assert.Equal(DateTimeOffset.Parse(due, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(task.GetProperty("restriction").GetProperty("period").GetProperty("end").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(priority ?? "urgent", task.GetProperty("priority").GetString());
        Assert.Equal("neglect", task.GetProperty("reasonCode").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.StartsWith("FD-260828-", task.GetProperty("identifier")[0].GetProperty("value").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_decision_with_its_rationale_then_the_referrer_reads_why_and_who_signed_it_off_and_a_revision_needs_its_reasons()
    {
        var c = await _hub.CaseAsync();
        var (_, _, id) = await ReferAsync(c, "asap", kind: "contact");
        Assert.Equal("contact", (await TaskAsync(id!)).GetProperty("code").GetProperty("coding")[1].GetProperty("code").GetString());
        _clock.Advance(TimeSpan.FromHours(1));

        var (decided, decidedBody) = await DecideAsync(id!, "section17Assessment", "Unsupervised at night; parents struggling since the move", "M. Patel, team manager");
        Assert.True(decided == HttpStatusCode.OK, decidedBody);
        var note = (await TaskAsync(id!)).GetProperty("note")[0];
        Assert.Equal("Unsupervised at night; parents struggling since the move", note.GetProperty("text").GetString());
        Assert.Equal("demo-la-front-door, signed off by M. Patel, team manager", note.GetProperty("authorString").GetString());

        // Decided once; a revision says why, and the decision before it is kept.
        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(id!, "section47Enquiry")).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await DecideAsync(id!, "section47Enquiry", revise: true)).Status);
        var (revised, revisedBody) = await DecideAsync(id!, "section47Enquiry", "Police found injuries at the medical", "M. Patel, team manager", revise: true);
        Assert.True(revised == HttpStatusCode.OK, revisedBody);
        Assert.Equal("section47Enquiry", (await TaskAsync(id!)).GetProperty("businessStatus").GetProperty("coding")[0].GetProperty("code").GetString());
        await using (var db = _hub.Contexts.Create())
        {
            Assert.Equal(2, await db.RecordHistory.CountAsync(h => h.RecordId == Guid.Parse(id!)));
        }

        // The referral and what was decided are in the child's chronology, for the front door that triages it.
        using var chronology = await _hub.SendAsync(HttpMethod.Get, $"/fhir/Patient/{c.PoliceChild.Id}/$chronology", "demo-la-front-door", "front-door-triage",
            change: r => r.Headers.TryAddWithoutValidation("X-Referral-Id", id));
        var bundle = await FhirTestHub.JsonAsync(chronology);
        Assert.True(chronology.StatusCode == HttpStatusCode.OK, bundle.ToString());
        var entry = Assert.Single(bundle.GetProperty("entry").EnumerateArray(), e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "Task");
        Assert.EndsWith($"/fhir/Task/{id}", entry.GetProperty("fullUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal("section47Enquiry", entry.GetProperty("resource").GetProperty("businessStatus").GetProperty("coding")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Given_an_unborn_child_then_the_front_door_records_an_expected_date_of_delivery_refers_them_and_records_the_birth_later()
    {
        object Unborn(string? expected, string? birthDate = null)
        {
            var patient = new Dictionary<string, object?>
            {
                ["resourceType"] = "Patient",
                ["identifier"] = new[] { new { system = "urn:sharinghub:id:la-person", value = "7700123" } },
                ["name"] = new[] { new { family = "Prenatal", given = new[] { "Unborn" } } },
            };
            if (expected is not null)
            {
                patient["extension"] = new[] { new { url = "urn:sharinghub:fhir:expected-delivery-date", valueDate = expected } };
            }
            if (birthDate is not null)
            {
                patient["birthDate"] = birthDate;
            }
            return patient;
        }
        using var both = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-la-front-door", content: JsonContent.Create(Unborn("2026-12-01", "2026-12-01"), FhirJson));
        using var far = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-la-front-door", content: JsonContent.Create(Unborn("2028-06-01"), FhirJson));
        Assert.Contains("not a date of birth", await both.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("ten months ahead", await far.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(both.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity);

        using var created = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-la-front-door", content: JsonContent.Create(Unborn("2026-12-01"), FhirJson));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = Guid.Parse(created.Headers.Location!.ToString().Split('/')[^3]);
        await using (var db = _hub.Contexts.Create())
        {
            var stored = await db.People.AsNoTracking().SingleAsync(p => p.Id == id);
            Assert.Equal(Core.Records.PersonKind.Unborn, stored.Kind);
            // Never matched or linked as a date of birth.
            Assert.Null(stored.BirthDateIndex);
        }

        // The front door refers the unborn child; its worklist reads them with the expected date, never a date of birth.
        var task = new Dictionary<string, object?>
        {
            ["resourceType"] = "Task", ["status"] = "requested", ["intent"] = "order", ["priority"] = "urgent",
            ["code"] = new { coding = new object[] { new { system = "urn:sharinghub:task", code = "referral" } } },
            ["for"] = new { reference = $"Patient/{id}" }, ["description"] = "Mother disclosed domestic abuse at the booking appointment",
        };
        using var referred = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-la-front-door", content: JsonContent.Create(task, FhirJson));
        Assert.True(referred.StatusCode == HttpStatusCode.Created, await referred.Content.ReadAsStringAsync());
        var referral = referred.Headers.Location!.ToString().Split('/')[^3];
        using var patient = await _hub.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}", "demo-la-front-door", "front-door-triage",
            change: r => r.Headers.TryAddWithoutValidation("X-Referral-Id", referral));
        var body = await FhirTestHub.JsonAsync(patient);
        Assert.True(patient.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.False(body.TryGetProperty("birthDate", out _));
        Assert.Equal("2026-12-01", body.GetProperty("extension")[0].GetProperty("valueDate").GetString());
        using var odata = await _hub.SendAsync(HttpMethod.Get, $"/odata/People({id})", "demo-la-front-door", "front-door-triage",
            change: r => r.Headers.TryAddWithoutValidation("X-Referral-Id", referral));
        var person = await odata.Content.ReadAsStringAsync();
        Assert.Contains("\"expectedDeliveryDate\":\"2026-12-01\"", person, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"unborn\"", person, StringComparison.Ordinal);
        Assert.DoesNotContain("\"birthDate\"", person, StringComparison.Ordinal);

        // Born: the date of birth replaces the expected date, and the record is a child's.
        using var born = await _hub.SendAsync(HttpMethod.Patch, $"/odata/People({id})", "demo-la-front-door",
            content: JsonContent.Create(new Dictionary<string, object?> { ["birthDate"] = "2026-08-27" }), change: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        Assert.True(born.IsSuccessStatusCode, await born.Content.ReadAsStringAsync());
        await using (var db = _hub.Contexts.Create())
        {
            var stored = await db.People.AsNoTracking().SingleAsync(p => p.Id == id);
            Assert.Equal(Core.Records.PersonKind.Child, stored.Kind);
            Assert.NotNull(stored.BirthDateIndex);
        }
    }
}

public sealed class SqliteReferralUrgencyTests() : ReferralUrgencyTests(DatabaseEngine.Sqlite);

public sealed class PostgresReferralUrgencyTests() : ReferralUrgencyTests(DatabaseEngine.Postgres);
