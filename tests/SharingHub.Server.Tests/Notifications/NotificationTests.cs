using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Server.Notifications;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Notifications;

/// <summary>Signed webhooks to partner systems: delivered, retried with backoff, dead-lettered, kept across a restart; owners told of reads after their delay.</summary>
public abstract class NotificationTests(DatabaseEngine engine) : IAsyncLifetime
{
    private readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
    private StubReceiver _police = null!;

    public async Task InitializeAsync() => _police = await StubReceiver.StartAsync();

    public async Task DisposeAsync() => await _police.DisposeAsync();

    private Dictionary<string, string?> Settings(double pollSeconds = 0.1, int maxAttempts = 3) => new()
    {
        ["SharingHub:Notifications:PollSeconds"] = pollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SharingHub:Notifications:FirstRetrySeconds"] = "0.1",
        ["SharingHub:Notifications:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SharingHub:Notifications:Endpoints:police:Url"] = _police.Url,
        ["SharingHub:Notifications:Endpoints:police:Secret"] = _secret,
    };

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the condition did not come true within 10 seconds");
    }

    private static async Task<string> DecidedReferralAsync(FhirTestHub hub, CaseRecords c)
    {
        using var created = await hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: JsonContent.Create(new
        {
            resourceType = "Task", status = "requested", intent = "order",
            code = new { coding = new[] { new { system = "urn:sharinghub:task", code = "referral" } } },
            @for = new { reference = $"Patient/{c.PoliceChild.Id}" }, description = "Concern for the child",
        }, new System.Net.Http.Headers.MediaTypeHeaderValue("application/fhir+json")));
        var id = created.Headers.Location!.ToString().Split('/')[^3];
        using var decided = await hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{id}/$decide", "demo-la-front-door", "front-door-triage",
            content: JsonContent.Create(new { resourceType = "Parameters", parameter = new[] { new { name = "decision", valueCode = "familyHelp" } } },
                new System.Net.Http.Headers.MediaTypeHeaderValue("application/fhir+json")));
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        return id;
    }

    [Fact]
    public async Task Given_a_referral_decided_then_the_referring_police_system_gets_a_signed_webhook_naming_the_task_and_no_contents()
    {
        await using var hub = await FhirTestHub.StartAsync(engine, Settings());
        var c = await hub.CaseAsync();

        var id = await DecidedReferralAsync(hub, c);

        var body = await Eventually(() => Task.FromResult(_police.Received.Select(r => r.Body).FirstOrDefault(b => b.Contains("referral.decided", StringComparison.Ordinal))));
        var headers = _police.Received.First(r => r.Body == body).Headers;
        Assert.Equal(NotificationDispatcher.Sign(_secret, headers["X-SharingHub-Timestamp"], body), headers["X-SharingHub-Signature"]);
        Assert.NotEqual(NotificationDispatcher.Sign(_secret + "x", headers["X-SharingHub-Timestamp"], body), headers["X-SharingHub-Signature"]);
        using var json = JsonDocument.Parse(body);
        Assert.Equal($"Task/{id}", json.RootElement.GetProperty("data").GetProperty("task").GetString());
        Assert.Equal("familyHelp", json.RootElement.GetProperty("data").GetProperty("decision").GetString());
        Assert.DoesNotContain("Concern for the child", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_receiver_fails_twice_then_delivery_is_retried_until_it_succeeds_and_a_receiver_that_always_fails_gets_a_dead_letter()
    {
        _police.FailNext = 2;
        await using var hub = await FhirTestHub.StartAsync(engine, Settings());
        var outbox = hub.Services.GetRequiredService<NotificationOutbox>();
        await outbox.EnqueueAsync("police", "test.retry", new { n = 1 }, TimeSpan.Zero, CancellationToken.None);

        var delivered = await Eventually(async () =>
        {
            await using var db = hub.Contexts.Create();
            return await db.Notifications.AsNoTracking().FirstOrDefaultAsync(n => n.Kind == "test.retry" && n.DeliveredAt != null);
        });
        Assert.Equal(3, delivered.Attempts);

        _police.FailNext = -1;
        await outbox.EnqueueAsync("police", "test.dead", new { n = 2 }, TimeSpan.Zero, CancellationToken.None);
        var dead = await Eventually(async () => (await outbox.ForOrganisationAsync("police", deadOnly: true, CancellationToken.None)).FirstOrDefault());
        Assert.Equal("test.dead", dead.Kind);
        Assert.Equal(3, dead.Attempts);
        Assert.Equal("HTTP 500", dead.LastError);
        Assert.Null(dead.DeliveredAt);

        using var listed = await hub.GetAsync("/notifications?dead=true", "demo-police-ig");
        var deadLetters = (await FhirTestHub.JsonAsync(listed)).GetProperty("notifications").EnumerateArray().ToList();
        Assert.Equal("test.dead", Assert.Single(deadLetters).GetProperty("kind").GetString());
        Assert.Equal("dead", deadLetters[0].GetProperty("state").GetString());
        using var otherAgency = await hub.GetAsync("/notifications?dead=true", "demo-health-ig");
        Assert.Empty((await FhirTestHub.JsonAsync(otherAgency)).GetProperty("notifications").EnumerateArray());
        using var practitioner = await hub.GetAsync("/notifications", "demo-police-officer");
        Assert.Equal(HttpStatusCode.Forbidden, practitioner.StatusCode);
    }

    /// <summary>
    /// An organisation with no endpoint is not sent to: its notices are not tried (each try fails for certain and writes twice,
    /// every write waiting at SQLite's one write lock with the requests' audit entries), never become dead letters, and stay
    /// pending for its system or IG officer to list; another organisation's are delivered meanwhile, and a hub with its
    /// endpoint configured sends them.
    /// </summary>
    [Fact]
    public async Task Given_an_organisation_with_no_endpoint_then_its_notices_wait_untried_and_listed_while_others_are_delivered()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using (var hub = FhirTestHub.Over(database, Settings(pollSeconds: 0.05)))
        {
            var outbox = hub.Services.GetRequiredService<NotificationOutbox>();
            await outbox.EnqueueAsync("health", "test.unreachable", new { n = 1 }, TimeSpan.Zero, CancellationToken.None);
            for (var i = 0; i < 60; i++)
            {
                await outbox.EnqueueAsync("police", "test.reachable", new { n = i }, TimeSpan.Zero, CancellationToken.None);
            }

            await Eventually(async () =>
            {
                await using var db = hub.Contexts.Create();
                return await db.Notifications.CountAsync(n => n.Kind == "test.reachable" && n.DeliveredAt != null) == 60 ? "all" : null;
            });
            await Task.Delay(300); // several more rounds
            await using (var db = hub.Contexts.Create())
            {
                var waiting = await db.Notifications.AsNoTracking().SingleAsync(n => n.Kind == "test.unreachable");
                Assert.Equal(0, waiting.Attempts);
                Assert.Null(waiting.LastError);
                Assert.Null(waiting.DeadAt);
                Assert.Null(waiting.DeliveredAt);
                Assert.Equal(waiting.CreatedAt, waiting.NextAttemptAt);
            }
            using var listed = await hub.GetAsync("/notifications", "demo-health-ig");
            var pending = (await FhirTestHub.JsonAsync(listed)).GetProperty("notifications").EnumerateArray().ToList();
            Assert.Equal("pending", Assert.Single(pending, n => n.GetProperty("kind").GetString() == "test.unreachable").GetProperty("state").GetString());
        }

        await using var health = await StubReceiver.StartAsync();
        var configured = Settings(pollSeconds: 0.05);
        configured["SharingHub:Notifications:Endpoints:health:Url"] = health.Url;
        configured["SharingHub:Notifications:Endpoints:health:Secret"] = _secret;
        await using var next = FhirTestHub.Over(database, configured);
        await Eventually(() => Task.FromResult(health.Received.Select(r => r.Body).FirstOrDefault(b => b.Contains("test.unreachable", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Given_a_notification_queued_when_the_hub_stops_then_the_next_hub_on_the_same_database_delivers_it()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var unreachable = Settings(pollSeconds: 3_600);
        unreachable.Remove("SharingHub:Notifications:Endpoints:police:Url");
        unreachable.Remove("SharingHub:Notifications:Endpoints:police:Secret");
        await using (var first = FhirTestHub.Over(database, unreachable))
        {
            // This hub cannot reach police and sleeps an hour between rounds: the row is all that remains when it stops.
            await first.Services.GetRequiredService<NotificationOutbox>().EnqueueAsync("police", "test.restart", new { n = 3 }, TimeSpan.Zero, CancellationToken.None);
        }
        Assert.DoesNotContain(_police.Received, r => r.Body.Contains("test.restart", StringComparison.Ordinal));

        await using var second = FhirTestHub.Over(database, Settings());

        await Eventually(() => Task.FromResult(_police.Received.Select(r => r.Body).FirstOrDefault(b => b.Contains("test.restart", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Given_three_hub_nodes_delivering_from_one_database_then_each_notification_reaches_the_receiver_once()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var settings = Settings(pollSeconds: 0.05);
        await using var a = FhirTestHub.Over(database, settings);
        await using var b = FhirTestHub.Over(database, settings);
        await using var c = FhirTestHub.Over(database, settings);
        var outbox = a.Services.GetRequiredService<NotificationOutbox>();
        for (var i = 0; i < 60; i++)
        {
            await outbox.EnqueueAsync("police", "test.nodes", new { n = i }, TimeSpan.Zero, CancellationToken.None);
        }

        await Eventually(async () =>
        {
            await using var db = a.Contexts.Create();
            return await db.Notifications.CountAsync(n => n.Kind == "test.nodes" && n.DeliveredAt != null) == 60 ? "all" : null;
        });
        await Task.Delay(300); // a duplicate in flight would arrive now
        var ids = _police.Received.Where(r => r.Body.Contains("test.nodes", StringComparison.Ordinal)).Select(r => r.Headers[NotificationDispatcher.IdHeader]).ToList();
        Assert.Equal(60, ids.Distinct().Count());
        Assert.Equal(60, ids.Count);
        await using var check = a.Contexts.Create();
        Assert.Equal(60, await check.Notifications.CountAsync(n => n.Kind == "test.nodes" && n.Attempts == 1));
    }

    [Fact]
    public async Task Given_the_lcpp_reads_police_intelligence_then_police_are_told_after_72_hours_not_before()
    {
        await using var hub = await FhirTestHub.StartAsync(engine, Settings());
        var c = await hub.CaseAsync();
        var intelligence = await hub.Store.AddAsync(hub.Builder.Event(c.PoliceChild, "police", "Intelligence summary", dataClass: "police.intelligence"), CancellationToken.None);

        using var read = await hub.GetAsync($"/fhir/Observation/{intelligence.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        await using var db = hub.Contexts.Create();
        var notice = await db.Notifications.AsNoTracking().SingleAsync(n => n.Kind == "record.read");
        Assert.Equal("police", notice.Organisation);
        Assert.InRange(notice.DueAt - notice.CreatedAt, TimeSpan.FromHours(72) - TimeSpan.FromSeconds(1), TimeSpan.FromHours(72) + TimeSpan.FromSeconds(1));
        Assert.Contains(intelligence.Id.ToString(), notice.Payload, StringComparison.Ordinal);
        Assert.Null(notice.DeliveredAt);
        await Task.Delay(500);
        Assert.DoesNotContain(_police.Received, r => r.Body.Contains("record.read", StringComparison.Ordinal));
    }

    // DDL takes no parameters; the statements are the test's own, fixed text.
    private const string RefuseNoticesSqlite = """CREATE TRIGGER refuse_notices BEFORE INSERT ON "Notifications" BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;""";
    private const string RefuseNoticesPostgres = """
        CREATE FUNCTION refuse_notices() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'insufficient_privilege'; END $$;
        CREATE TRIGGER refuse_notices BEFORE INSERT ON "Notifications" FOR EACH ROW EXECUTE FUNCTION refuse_notices();
        """;

    [Fact]
    public async Task Given_the_owner_cannot_be_told_of_a_read_then_nothing_is_shown_and_its_one_audit_entry_says_the_read_was_refused()
    {
        await using var hub = await FhirTestHub.StartAsync(engine, Settings());
        var c = await hub.CaseAsync();
        var intelligence = await hub.Store.AddAsync(hub.Builder.Event(c.PoliceChild, "police", "Intelligence summary", dataClass: "police.intelligence"), CancellationToken.None);
        await using (var db = hub.Contexts.Create())
        {
            await db.Database.ExecuteSqlRawAsync(engine == DatabaseEngine.Sqlite ? RefuseNoticesSqlite : RefuseNoticesPostgres);
        }

        using var refused = await hub.GetAsync($"/fhir/Observation/{intelligence.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {body}");
        Assert.Contains("could not be told", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Intelligence summary", body, StringComparison.Ordinal);
        Assert.DoesNotContain("refused by the test", body, StringComparison.Ordinal);
        var requestId = refused.Headers.GetValues("X-Request-Id").Single();
        await using (var db = hub.Contexts.Create())
        {
            // One entry, and it says what happened: refused (503), nothing disclosed; not a read of 200 followed by a second entry.
            var entry = Assert.Single(await db.AuditEntries.AsNoTracking().Where(a => a.RequestId == requestId).ToListAsync());
            Assert.Equal(("error", 0), (entry.Outcome, entry.Disclosed));
            Assert.Contains("\"status\":503", entry.Body, StringComparison.Ordinal);
            Assert.False(await db.Notifications.AnyAsync(n => n.Kind == "record.read"));
            await db.Database.ExecuteSqlRawAsync(engine == DatabaseEngine.Sqlite ? "DROP TRIGGER refuse_notices" : "DROP TRIGGER refuse_notices ON \"Notifications\"");
        }

        using var shown = await hub.GetAsync($"/fhir/Observation/{intelligence.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        await using var after = hub.Contexts.Create();
        Assert.Equal(1, await after.Notifications.CountAsync(n => n.Kind == "record.read"));
    }
}

public sealed class SqliteNotificationTests() : NotificationTests(DatabaseEngine.Sqlite);

public sealed class PostgresNotificationTests() : NotificationTests(DatabaseEngine.Postgres);
