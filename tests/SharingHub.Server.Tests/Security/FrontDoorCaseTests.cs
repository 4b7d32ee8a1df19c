using System.Net;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Security;

/// <summary>
/// The front door cannot browse the population (issue 21): under front-door-triage it reads the people of the open
/// referral it names (the child as every agency records them, and their household) and nothing else, until the
/// referral's grace period after its decision ends. Refusals come before any read, in each API's format, audited.
/// </summary>
public abstract class FrontDoorCaseTests(DatabaseEngine engine) : IAsyncLifetime
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 10, 5, 9, 0, 0, TimeSpan.Zero));
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine, clock: _clock);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private async Task<HashSet<string>> PeopleAsync(HttpResponseMessage response)
    {
        var body = await FhirTestHub.JsonAsync(response);
        return body.GetProperty("value").EnumerateArray().Select(p => p.GetProperty("familyName").GetString()!).ToHashSet();
    }

    [Fact]
    public async Task Given_the_front_door_without_a_referral_then_listing_people_or_events_is_refused_before_any_read_and_audited()
    {
        await _hub.CaseAsync("Frontone");
        await _hub.CaseAsync("Fronttwo");

        using var people = await _hub.GetAsync("/odata/People", "demo-police-front-door", "front-door-triage");
        using var events = await _hub.GetAsync("/odata/Events", "demo-la-front-door", "front-door-triage");
        using var search = await _hub.GetAsync("/fhir/Patient?family=Frontone", "demo-la-front-door", "front-door-triage");

        foreach (var response in new[] { people, events, search })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("X-Referral-Id", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Frontone", body, StringComparison.Ordinal);
        }
        Assert.Equal("ReferralRequired", (await FhirTestHub.JsonAsync(people)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("OperationOutcome", (await FhirTestHub.JsonAsync(search)).GetProperty("resourceType").GetString());
        await using var db = _hub.Contexts.Create();
        var requestId = people.Headers.GetValues("X-Request-Id").Single();
        var entry = await db.AuditEntries.SingleAsync(a => a.RequestId == requestId);
        Assert.Equal(("rejected", "front-door-triage", "none"), (entry.Outcome, entry.Purpose, entry.Decision));
    }

    [Theory]
    [InlineData("front-door-triage", "not-a-uuid", "must be a referral id")]
    [InlineData("family-help", "00000000-0000-4000-8000-000000000001", "only for a purpose used for a referral")]
    public async Task Given_a_malformed_or_misplaced_referral_header_then_the_read_is_refused_saying_what_is_wrong(string purpose, string header, string says)
    {
        var c = await _hub.CaseAsync("Frontheader");

        using var response = await _hub.SendAsync(HttpMethod.Get, $"/fhir/Patient/{c.LaChild.Id}", "demo-la-fhlp", purpose,
            change: r => r.Headers.TryAddWithoutValidation("X-Referral-Id", header));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(says, body, StringComparison.Ordinal);
        Assert.DoesNotContain("Mia", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_referral_about_one_child_then_the_front_door_reads_that_child_and_their_household_and_nobody_else()
    {
        var referred = await _hub.CaseAsync("Frontone");
        // Another child, known to the council and police, in no referral.
        var otherChild = await _hub.Store.AddAsync(_hub.Builder.Person("la", "Zoe", "Fronttwo", "2014-02-02", IdentifierKind.LaPersonId, "7123456"), CancellationToken.None);
        var otherIncident = await _hub.Store.AddAsync(_hub.Builder.Event(otherChild, "la", "Home visit to another family", _clock.Now.AddDays(-3), dataClass: "la.social-care"),
            CancellationToken.None);
        var mother = await _hub.Store.AddAsync(_hub.Builder.Person("health", "Grace", "Frontmother", "1990-01-01", IdentifierKind.NhsNumber, "9434765919",
            personKind: PersonKind.Adult), CancellationToken.None);
        var household = new Household { Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "person.demographics", Reference = "HH-FRONT-1" };
        household.Members.Add(new HouseholdMember { HouseholdId = household.Id, PersonId = referred.LaChild.Id, Role = "child" });
        household.Members.Add(new HouseholdMember { HouseholdId = household.Id, PersonId = mother.Id, Role = "parent" });
        await _hub.Store.AddAsync(household, CancellationToken.None);
        var referral = await _hub.ReferralAsync(referred.PoliceChild);

        using var people = await _hub.TriageAsync("/odata/People", "demo-la-front-door", referral.Id);
        using var events = await _hub.TriageAsync("/odata/Events?$select=summary", "demo-la-front-door", referral.Id);
        using var otherPerson = await _hub.TriageAsync($"/fhir/Patient/{otherChild.Id}", "demo-la-front-door", referral.Id);
        using var otherEvent = await _hub.TriageAsync($"/fhir/Observation/{otherIncident.Id}", "demo-la-front-door", referral.Id);

        Assert.Equal(["Frontmother", "Frontone"], (await PeopleAsync(people)).Order(StringComparer.Ordinal));
        var summaries = (await FhirTestHub.JsonAsync(events)).GetProperty("value").EnumerateArray().Select(e => e.GetProperty("summary").GetString()).ToList();
        Assert.Contains("Officers attended a report of shouting", summaries);
        using (var counted = await _hub.TriageAsync("/odata/Events/$count", "demo-la-front-door", referral.Id))
        {
            Assert.Equal(summaries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), (await counted.Content.ReadAsStringAsync()).Trim());
        }
        Assert.DoesNotContain("Home visit to another family", summaries);
        Assert.Equal(HttpStatusCode.NotFound, otherPerson.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, otherEvent.StatusCode);
    }

    [Fact]
    public async Task Given_a_decided_referral_then_its_people_stay_readable_for_the_grace_period_and_are_refused_after_it()
    {
        var c = await _hub.CaseAsync("Frontgrace");
        var referral = await _hub.ReferralAsync(c.PoliceChild);
        using (var decided = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{referral.Id}/$decide", "demo-la-front-door", "front-door-triage",
            content: new StringContent("""{"resourceType":"Parameters","parameter":[{"name":"decision","valueCode":"section47Enquiry"}]}""",
                System.Text.Encoding.UTF8, "application/fhir+json")))
        {
            Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        }

        _clock.Advance(TimeSpan.FromHours(71));
        using var within = await _hub.TriageAsync($"/fhir/Patient/{c.LaChild.Id}", "demo-la-front-door", referral.Id);
        _clock.Advance(TimeSpan.FromHours(2));
        using var after = await _hub.TriageAsync($"/fhir/Patient/{c.LaChild.Id}", "demo-la-front-door", referral.Id);
        using var odataAfter = await _hub.TriageAsync("/odata/People", "demo-la-front-door", referral.Id);
        using var worklist = await _hub.GetAsync($"/fhir/Task/{referral.Id}", "demo-la-front-door", "front-door-triage");

        Assert.Equal(HttpStatusCode.OK, within.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        var outcome = (await FhirTestHub.JsonAsync(after)).GetProperty("issue")[0];
        Assert.Contains("grace period has ended", outcome.GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Mia", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, "OutsideCase"),
            (odataAfter.StatusCode, (await FhirTestHub.JsonAsync(odataAfter)).GetProperty("error").GetProperty("code").GetString()));
        // The decided referral itself stays on the front door's record of its work.
        Assert.Equal(HttpStatusCode.OK, worklist.StatusCode);
    }

    [Fact]
    public async Task Given_a_referral_the_caller_may_not_see_then_it_is_refused_exactly_as_one_that_does_not_exist()
    {
        var c = await _hub.CaseAsync("Fronthidden");
        // A council referral: the police front door may not see it, so may not triage under it.
        var councils = await _hub.ReferralAsync(c.LaChild);

        using var hidden = await _hub.TriageAsync($"/fhir/Patient/{c.PoliceChild.Id}", "demo-police-front-door", councils.Id);
        using var absent = await _hub.TriageAsync($"/fhir/Patient/{c.PoliceChild.Id}", "demo-police-front-door", Guid.NewGuid());
        using var own = await _hub.TriageAsync($"/fhir/Patient/{c.PoliceChild.Id}", "demo-police-front-door", (await _hub.ReferralAsync(c.PoliceChild)).Id);

        Assert.Equal(HttpStatusCode.Forbidden, hidden.StatusCode);
        Assert.Equal(await absent.Content.ReadAsStringAsync(), await hidden.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("Mia", (await FhirTestHub.JsonAsync(own)).GetProperty("name")[0].GetProperty("given")[0].GetString());
    }

    [Fact]
    public async Task Given_council_staff_outside_an_enquiry_then_its_purpose_is_refused_before_any_read()
    {
        var c = await _hub.CaseAsync("Frontenquiry");

        using var fhlp = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-fhlp", "s47-enquiry", c.Enquiry.Id);
        using var lcpp = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.Forbidden, fhlp.StatusCode);
        Assert.Contains("not a current member", (await FhirTestHub.JsonAsync(fhlp)).GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Home visit", await fhlp.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, lcpp.StatusCode);
        Assert.Contains("Home visit", await lcpp.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

public sealed class SqliteFrontDoorCaseTests() : FrontDoorCaseTests(DatabaseEngine.Sqlite);

public sealed class PostgresFrontDoorCaseTests() : FrontDoorCaseTests(DatabaseEngine.Postgres);
