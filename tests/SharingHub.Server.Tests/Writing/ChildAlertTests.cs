using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Writing;

/// <summary>
/// An alert when it matters (as CP-IS does): an A&amp;E attendance recorded by health about a child on a child protection plan
/// notifies the council at once, and health's answer says the child has a plan and whom to contact; an event that does not
/// alert, or a child with no plan, raises nothing.
/// </summary>
public abstract class ChildAlertTests(DatabaseEngine engine) : IAsyncLifetime
{
    private readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
    private StubReceiver _council = null!;
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync()
    {
        _council = await StubReceiver.StartAsync();
        _hub = await FhirTestHub.StartAsync(engine, new Dictionary<string, string?>
        {
            ["SharingHub:Notifications:PollSeconds"] = "0.1",
            ["SharingHub:Notifications:Endpoints:la:Url"] = _council.Url,
            ["SharingHub:Notifications:Endpoints:la:Secret"] = _secret,
            ["SharingHub:Mais:Contacts:la:Name"] = "Northshire Children's Services Front Door",
            ["SharingHub:Mais:Contacts:la:Phone"] = "01632 960000",
        });
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _council.DisposeAsync();
    }

    private static StringContent Observation(Guid subject, string category, string reference) => new(JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["resourceType"] = "Observation",
        ["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
        ["identifier"] = new[] { new { system = "urn:sharinghub:source-reference:health", value = reference } },
        ["status"] = "final",
        ["category"] = new[] { new { coding = new[] { new { system = "urn:sharinghub:event-category", code = category } } } },
        ["code"] = new { text = "Attendance" },
        ["subject"] = new { reference = $"Patient/{subject}" },
        ["effectiveDateTime"] = "2026-11-28T23:10:00Z",
        ["valueString"] = "Attended with a head injury after a fall at home",
    }), Encoding.UTF8, "application/fhir+json");

    /// <summary>The council's child is on a plan: the plan's state on her record, and the case at the plan stage led by the LCPP.</summary>
    private async Task<CaseRecords> OnAPlanAsync()
    {
        var c = await _hub.CaseAsync("Alertwell");
        await using var db = _hub.Contexts.Create();
        var enquiry = await db.Enquiries.SingleAsync(e => e.Id == c.Enquiry.Id);
        enquiry.Stage = CaseStage.ChildProtectionPlan;
        db.States.Add(new PersonState
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "la.social-care", PersonId = c.LaChild.Id, Code = "child-protection-plan",
            StartedAt = new DateTimeOffset(2026, 10, 6, 10, 0, 0, TimeSpan.Zero), CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, Version = 1,
        });
        await db.SaveChangesAsync();
        return c;
    }

    private async Task<List<Data.Notifications.Notification>> AlertsAsync()
    {
        await using var db = _hub.Contexts.Create();
        return await db.Notifications.AsNoTracking().Where(n => n.Kind == "child.alert").ToListAsync();
    }

    [Fact]
    public async Task Given_an_ae_attendance_of_a_child_on_a_plan_then_the_council_is_notified_at_once_and_health_is_told_whom_to_contact()
    {
        var c = await OnAPlanAsync();

        using var created = await _hub.SendAsync(HttpMethod.Post, "/fhir/Observation", "demo-health-practitioner", content: Observation(c.HealthChild.Id, "ae-attendance", "AE-1"));
        var outcome = await FhirTestHub.JsonAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, outcome.ToString());
        var warning = Assert.Single(outcome.GetProperty("issue").EnumerateArray(), i => i.GetProperty("severity").GetString() == "warning").GetProperty("diagnostics").GetString()!;
        Assert.Contains("subject to a child protection plan (since 6 October 2026)", warning, StringComparison.Ordinal);
        Assert.Contains("Northshire Children's Services Front Door, 01632 960000", warning, StringComparison.Ordinal);
        Assert.Contains("lead practitioner demo-la-lcpp", warning, StringComparison.Ordinal);

        // The council's system hears of it on the first delivery attempt: which child and event, never the event's words.
        var body = await Eventually(() => _council.Received.Select(r => r.Body).FirstOrDefault(b => b.Contains("child.alert", StringComparison.Ordinal)));
        Assert.Contains($"Patient/{c.LaChild.Id}", body, StringComparison.Ordinal);
        Assert.Contains("ae-attendance", body, StringComparison.Ordinal);
        Assert.DoesNotContain("head injury", body, StringComparison.Ordinal);
        // The outbox marks it delivered just after the receiver answers: wait for the mark, then count the attempts.
        for (var i = 0; i < 200 && (await AlertsAsync()).Any(n => n.DeliveredAt is null); i++)
        {
            await Task.Delay(50);
        }
        var alert = Assert.Single(await AlertsAsync());
        Assert.Equal(("la", 1), (alert.Organisation, alert.Attempts));
        Assert.NotNull(alert.DeliveredAt);

        // The write's audit entry says what health was told, so the council's IG officer can see it.
        await using (var db = _hub.Contexts.Create())
        {
            var requestId = created.Headers.GetValues("X-Request-Id").Single();
            var entry = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.RequestId == requestId);
            Assert.Contains("\"type\":\"alert\"", entry.Body, StringComparison.Ordinal);
            Assert.Contains("la", entry.Owners, StringComparison.Ordinal);
        }

        // A missed appointment does not alert; nor does an A&E attendance of a child with no plan.
        using var routine = await _hub.SendAsync(HttpMethod.Post, "/fhir/Observation", "demo-health-practitioner", content: Observation(c.HealthChild.Id, "missed-appointment", "AE-2"));
        Assert.DoesNotContain("\"warning\"", await routine.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var other = await _hub.CaseAsync("Noplan", "2015-01-01");
        using var noPlan = await _hub.SendAsync(HttpMethod.Post, "/fhir/Observation", "demo-health-practitioner", content: Observation(other.HealthChild.Id, "ae-attendance", "AE-3"));
        Assert.Equal(HttpStatusCode.Created, noPlan.StatusCode);
        Assert.DoesNotContain("\"warning\"", await noPlan.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await AlertsAsync());
    }

    [Fact]
    public async Task Given_an_alerting_event_written_over_odata_then_the_answer_carries_the_alert_as_an_annotation()
    {
        var c = await OnAPlanAsync();
        using var created = await _hub.SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", content: JsonContent.Create(new Dictionary<string, object?>
        {
            ["occurredAt"] = "2026-11-28T22:00:00Z", ["category"] = "missing-episode", ["significance"] = "high", ["summary"] = "Reported missing by her mother",
            ["dataClass"] = "police.incident", ["sourceReference"] = "MISS-1", ["subjects@odata.bind"] = new[] { $"People({c.PoliceChild.Id})" },
        }));
        var row = await FhirTestHub.JsonAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, row.ToString());
        var alerts = row.GetProperty("@SharingHub.alerts").EnumerateArray().Select(a => a.GetString()!).ToList();
        Assert.Contains("child protection plan", Assert.Single(alerts), StringComparison.Ordinal);
        Assert.Single(await AlertsAsync());
    }

    private static async Task<string> Eventually(Func<string?> probe)
    {
        for (var i = 0; i < 200; i++)
        {
            if (probe() is { } found)
            {
                return found;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no alert reached the council within 10 seconds");
    }
}

public sealed class SqliteChildAlertTests() : ChildAlertTests(DatabaseEngine.Sqlite);

public sealed class PostgresChildAlertTests() : ChildAlertTests(DatabaseEngine.Postgres);
