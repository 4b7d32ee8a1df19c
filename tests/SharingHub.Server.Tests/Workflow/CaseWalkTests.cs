using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Workflow;

/// <summary>
/// One case walked with a hand-moved clock, through the real HTTP pipeline: a referral on the Friday
/// before the August bank holiday, its deadline over the long weekend, the decision, a section 47
/// enquiry, an information request answered with a recorded refusal, closure, and the grace period.
/// </summary>
public abstract class CaseWalkTests(DatabaseEngine engine) : IAsyncLifetime
{
    // Friday 28 August 2026, 15:30 in London (BST); Monday 31 August is the summer bank holiday.
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 8, 28, 14, 30, 0, TimeSpan.Zero));
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine,
        new Dictionary<string, string?> { ["SharingHub:Access:EnquiryGraceHours"] = "24" }, _clock);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static readonly MediaTypeHeaderValue FhirJson = new("application/fhir+json");

    private async Task<int> OverdueCount()
    {
        using var response = await _hub.GetAsync("/fhir/Task?code=referral&business-status=overdue", "demo-la-front-door", "front-door-triage");
        return (await FhirTestHub.JsonAsync(response)).GetProperty("total").GetInt32();
    }

    private async Task<HttpStatusCode> ReadVisit(CaseRecords c, string user, Guid enquiry)
    {
        using var response = await _hub.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", user, "s47-enquiry", enquiry);
        return response.StatusCode;
    }

    private async Task<string> ReferAsync(CaseRecords c, string concern)
    {
        using var referred = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: JsonContent.Create(new
        {
            resourceType = "Task", status = "requested", intent = "order",
            code = new { coding = new[] { new { system = "urn:sharinghub:task", code = "referral" } } },
            @for = new { reference = $"Patient/{c.PoliceChild.Id}" }, description = concern,
        }, FhirJson));
        Assert.Equal(HttpStatusCode.Created, referred.StatusCode);
        return referred.Headers.Location!.ToString().Split('/')[^3];
    }

    private async Task<HttpStatusCode> DecideAsync(string referral, string decision)
    {
        using var decided = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{referral}/$decide", "demo-la-front-door", "front-door-triage",
            content: JsonContent.Create(new { resourceType = "Parameters", parameter = new[] { new { name = "decision", valueCode = decision } } }, FhirJson));
        return decided.StatusCode;
    }

    [Fact]
    public async Task Given_a_case_from_referral_to_closure_then_deadlines_and_access_follow_the_clock()
    {
        var c = await _hub.CaseAsync();

        // Friday afternoon: police refer. Due one working day later: the weekend and the bank holiday do not count.
        var referral = await ReferAsync(c, "Child found alone at night");
        using (var task = await _hub.GetAsync($"/fhir/Task/{referral}", "demo-police-front-door", "front-door-triage"))
        {
            var due = (await FhirTestHub.JsonAsync(task)).GetProperty("restriction").GetProperty("period").GetProperty("end").GetString();
            Assert.Equal("2026-09-01T14:30:00.000Z", due);
        }

        _clock.Now = new DateTimeOffset(2026, 8, 31, 11, 0, 0, TimeSpan.Zero);
        Assert.Equal(0, await OverdueCount());
        _clock.Now = new DateTimeOffset(2026, 9, 1, 15, 0, 0, TimeSpan.Zero);
        Assert.Equal(1, await OverdueCount());

        Assert.Equal(HttpStatusCode.OK, await DecideAsync(referral, "section47Enquiry"));
        Assert.Equal(0, await OverdueCount());

        // A second referral, decided within its working day, is never overdue.
        var onTime = await ReferAsync(c, "Education welfare concern");
        _clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal(HttpStatusCode.OK, await DecideAsync(onTime, "familyHelp"));
        _clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(0, await OverdueCount());
        _clock.Now = new DateTimeOffset(2026, 9, 1, 16, 0, 0, TimeSpan.Zero);

        // The strategy discussion opens the enquiry; members read the child's council records from now on.
        _clock.Advance(TimeSpan.FromHours(1));
        using var opened = await _hub.SendAsync(HttpMethod.Post, "/enquiries", "demo-la-lcpp", content: JsonContent.Create(new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "Child found alone at night; previous concerns",
            members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" }, new { agency = "education", user = "demo-education-lead", role = "education" } },
        }));
        var enquiry = (await FhirTestHub.JsonAsync(opened)).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, "demo-police-officer", enquiry));
        // Health is not in the enquiry and not yet asked by it: the enquiry's purpose is not its to use.
        Assert.Equal(HttpStatusCode.Forbidden, await ReadVisit(c, "demo-health-practitioner", enquiry));

        using (var meeting = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{enquiry}/strategy-meetings", "demo-la-lcpp", content: JsonContent.Create(new
        {
            heldAt = _clock.Now.AddMinutes(-30),
            attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" }, new { agency = "police", user = "demo-police-officer", role = "police" } },
            contributions = new[] { new { agency = "police", summary = "Two call-outs to the address in August" } },
            decisions = "Joint visit tomorrow; ask health for records",
        })))
        {
            Assert.Equal(HttpStatusCode.Created, meeting.StatusCode);
        }

        using var asked = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{enquiry}/information-requests", "demo-la-lcpp",
            content: JsonContent.Create(new { agency = "health", question = "Health visiting and GP contacts for the household?" }));
        var request = await FhirTestHub.JsonAsync(asked);
        Assert.Equal(new DateTimeOffset(2026, 9, 2, 16, 0, 0, TimeSpan.Zero), request.GetProperty("dueAt").GetDateTimeOffset());
        _clock.Advance(TimeSpan.FromHours(20));
        using (var refusal = await _hub.SendAsync(HttpMethod.Post, $"/information-requests/{request.GetProperty("id").GetGuid()}/responses", "demo-health-practitioner",
            content: JsonContent.Create(new { kind = "heldNotShared", reason = "Needs the named GP's review; will answer by Friday" })))
        {
            Assert.Equal(HttpStatusCode.Created, refusal.StatusCode);
        }

        // Closure starts the 24-hour grace period; after it, members read nothing more.
        using (var closed = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{enquiry}/close", "demo-la-lcpp", content: JsonContent.Create(new { outcome = "childProtectionConference" })))
        {
            Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        }
        _clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, "demo-education-lead", enquiry));
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.NotFound, await ReadVisit(c, "demo-education-lead", enquiry));
        Assert.Equal(HttpStatusCode.NotFound, await ReadVisit(c, "demo-police-officer", enquiry));
    }
}

public sealed class SqliteCaseWalkTests() : CaseWalkTests(DatabaseEngine.Sqlite);

public sealed class PostgresCaseWalkTests() : CaseWalkTests(DatabaseEngine.Postgres);
