using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>Referrals at the Integrated Front Door: made by any agency, decided by the council's front door within one working day, the outcome seen by the referrer.</summary>
public abstract class FhirReferralTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static StringContent Fhir(object resource) => new(JsonSerializer.Serialize(resource), Encoding.UTF8, "application/fhir+json");

    private static object Referral(Guid child) => new
    {
        resourceType = "Task",
        status = "requested",
        intent = "order",
        code = new { coding = new[] { new { system = "urn:sharinghub:task", code = "referral" } } },
        @for = new { reference = $"Patient/{child}" },
        description = "Child disclosed being hit at home; visible bruising",
        extension = new[] { new { url = "urn:sharinghub:fhir:referrer", valueString = "PC Example, response team" } },
    };

    private static object Decision(string code) => new { resourceType = "Parameters", parameter = new[] { new { name = "decision", valueCode = code } } };

    private static List<JsonElement> Entries(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var e) ? e.EnumerateArray().Select(x => x.GetProperty("resource")).ToList() : [];

    [Fact]
    public async Task Given_a_police_referral_then_it_is_due_one_working_day_later_the_front_door_decides_it_and_police_see_the_outcome()
    {
        var c = await _hub.CaseAsync();

        using var created = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: Fhir(Referral(c.PoliceChild.Id)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = created.Headers.Location!.ToString().Split('/')[^3];

        using var read = await _hub.GetAsync($"/fhir/Task/{id}", "demo-police-front-door", "front-door-triage");
        var task = await FhirTestHub.JsonAsync(read);
        Assert.Equal("requested", task.GetProperty("status").GetString());
        var received = DateTimeOffset.Parse(task.GetProperty("authoredOn").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var due = DateTimeOffset.Parse(task.GetProperty("restriction").GetProperty("period").GetProperty("end").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(_hub.Services.GetRequiredService<WorkingCalendar>().DecisionDue(received), due, TimeSpan.FromMilliseconds(1));

        using var worklist = await _hub.GetAsync("/fhir/Task?code=referral&status=requested", "demo-la-front-door", "front-door-triage");
        var listed = Assert.Single(Entries(await FhirTestHub.JsonAsync(worklist)));
        Assert.Equal("PC Example, response team", listed.GetProperty("extension")[0].GetProperty("valueString").GetString());

        using var decided = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{id}/$decide", "demo-la-front-door", "front-door-triage", content: Fhir(Decision("section47Enquiry")));
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        using var again = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{id}/$decide", "demo-la-front-door", "front-door-triage", content: Fhir(Decision("noFurtherAction")));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        using var outcome = await _hub.GetAsync($"/fhir/Task?patient={c.PoliceChild.Id}&code=referral", "demo-police-front-door", "front-door-triage");
        var seen = Assert.Single(Entries(await FhirTestHub.JsonAsync(outcome)));
        Assert.Equal("completed", seen.GetProperty("status").GetString());
        Assert.Equal("section47Enquiry", seen.GetProperty("businessStatus").GetProperty("coding")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Given_a_referral_past_its_deadline_then_the_worklist_shows_it_overdue_and_a_fresh_one_is_not()
    {
        var c = await _hub.CaseAsync();
        var late = new Core.Records.Referral
        {
            Id = Guid.NewGuid(), OwningAgency = "education", DataClass = "referral", SubjectPersonId = c.LaChild.Id,
            ReceivedAt = DateTimeOffset.UtcNow.AddDays(-5), DecisionDueAt = DateTimeOffset.UtcNow.AddDays(-4),
        };
        late.Concern = _hub.Builder.Seal(late, nameof(late.Concern), "Persistent absence and a disclosure to a teacher");
        await _hub.Store.AddAsync(late, CancellationToken.None);
        using (var fresh = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: Fhir(Referral(c.PoliceChild.Id))))
        {
            Assert.Equal(HttpStatusCode.Created, fresh.StatusCode);
        }

        using var overdue = await _hub.GetAsync("/fhir/Task?code=referral&business-status=overdue", "demo-la-front-door", "front-door-triage");

        var task = Assert.Single(Entries(await FhirTestHub.JsonAsync(overdue)));
        Assert.Equal(late.Id.ToString(), task.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("demo-police-front-door")]
    [InlineData("demo-education-lead")]
    public async Task Given_someone_other_than_the_councils_front_door_then_deciding_is_refused(string user)
    {
        var c = await _hub.CaseAsync();
        using var created = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: Fhir(Referral(c.PoliceChild.Id)));
        var id = created.Headers.Location!.ToString().Split('/')[^3];

        using var decided = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{id}/$decide", user, "front-door-triage", content: Fhir(Decision("familyHelp")));

        Assert.Equal(HttpStatusCode.Forbidden, decided.StatusCode);
    }

    [Fact]
    public async Task Given_a_referral_about_another_agencys_record_or_an_unknown_decision_then_422()
    {
        var c = await _hub.CaseAsync();
        using var foreign = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: Fhir(Referral(c.HealthChild.Id)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, foreign.StatusCode);

        using var created = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: Fhir(Referral(c.PoliceChild.Id)));
        var id = created.Headers.Location!.ToString().Split('/')[^3];
        using var unknown = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{id}/$decide", "demo-la-front-door", "front-door-triage", content: Fhir(Decision("maybe")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
    }
}

public sealed class SqliteFhirReferralTests() : FhirReferralTests(DatabaseEngine.Sqlite);

public sealed class PostgresFhirReferralTests() : FhirReferralTests(DatabaseEngine.Postgres);
