using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>
/// A write the store refuses for its own reasons is not the caller's conflict. Only a constraint (a duplicate source
/// reference, a row changed meanwhile) is a 409; a store that reports itself full or fails otherwise is a 503 that says
/// so, and nothing is stored. PostgreSQL only: a trigger there can fail an insert with any SQLSTATE (here disk_full,
/// 53100, retried as transient first, and insufficient_privilege, 42501, which was answered 409 "already exists"),
/// which SQLite's triggers cannot (they raise constraint errors only).
/// </summary>
public sealed class StoreRefusalTests
{
    private static StringContent EventJson(Guid subject, string reference) => new(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["occurredAt"] = "2026-10-20T21:30:00Z", ["category"] = "missing-episode", ["significance"] = "high", ["summary"] = "Reported missing from home",
        ["dataClass"] = "police.incident", ["sourceReference"] = reference, ["subjects@odata.bind"] = new[] { $"People({subject})" },
    }), Encoding.UTF8, "application/json");

    // DDL takes no parameters: the condition is one of the test's own names, checked against a fixed list.
    private const string Template = """
        CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'CONDITION'; END $$;
        CREATE TRIGGER refuse_events BEFORE INSERT ON "Events" FOR EACH ROW EXECUTE FUNCTION refuse_events();
        """;

    private static string Refusal(string condition) => condition is "disk_full" or "insufficient_privilege"
        ? Template.Replace("CONDITION", condition, StringComparison.Ordinal)
        : throw new ArgumentException($"not a condition this test raises: {condition}", nameof(condition));

    [Theory]
    [InlineData("disk_full", "storage is full")]
    // The hub's database role no longer allowed to insert (an operator's grant gone): not transient, not a constraint.
    [InlineData("insufficient_privilege", "store or key service is unavailable")]
    public async Task Given_the_store_failing_an_insert_for_its_own_reason_then_the_writer_hears_503_saying_so_not_409_and_nothing_is_stored(string code, string said)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        await using var hub = FhirTestHub.Over(database);
        var c = await hub.CaseAsync("Refusal");
        using (var first = await hub.SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", content: EventJson(c.PoliceChild.Id, "REF-1")))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }
        using (var again = await hub.SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", content: EventJson(c.PoliceChild.Id, "REF-1")))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        await using (var db = hub.Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            await db.Database.ExecuteSqlRawAsync(Refusal(code));
        }
        using var refused = await hub.SendAsync(HttpMethod.Post, "/odata/Events", "demo-police-officer", content: EventJson(c.PoliceChild.Id, "REF-2"));
        var body = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {body}");
        Assert.Contains(said, body, StringComparison.Ordinal);
        Assert.DoesNotContain("refused by the test", body, StringComparison.Ordinal);
        await using (var db = hub.Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            Assert.False(await db.Events.AnyAsync(e => e.SourceReference == "REF-2"));
        }
    }
}
