using System.Diagnostics;
using System.Net;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Cluster;

/// <summary>
/// A PostgreSQL streaming replica (a hot standby made by pg_basebackup, as production makes one) answers reads that
/// tolerate a stated lag (here an IG officer's audit export) while it is within that lag, and the primary answers them
/// once it is not; /health says which. Decisions (here an enquiry's membership) never read it.
/// </summary>
public sealed class ReadReplicaTests
{
    private static async Task<(HttpStatusCode Status, int Rows)> ExportAsync(FhirTestHub hub)
    {
        using var export = await hub.GetAsync("/audit/export?format=csv", "demo-la-ig", "audit-review");
        var lines = (await export.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        return (export.StatusCode, lines.Length - 1);
    }

    private static async Task<string> ReplicaHealthAsync(FhirTestHub hub)
    {
        using var health = await hub.GetAsync("/health", null);
        var checks = (await FhirTestHub.JsonAsync(health)).GetProperty("checks");
        return checks.TryGetProperty("replica", out var replica) ? replica.GetString()! : "absent";
    }

    private static async Task WaitForReplicaAsync(FhirTestHub hub, string status)
    {
        var seen = "";
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(200))
        {
            if ((seen = await ReplicaHealthAsync(hub)) == status)
            {
                return;
            }
        }
        Assert.Fail($"the replica's health stayed '{seen}', not '{status}', for 30 s");
    }

    private static async Task<HttpStatusCode> ReadVisitAsync(FhirTestHub hub, CaseRecords c)
    {
        using var read = await hub.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", "demo-police-officer", "s47-enquiry", c.Enquiry.Id);
        return read.StatusCode;
    }

    /// <summary>Whether the standby holds an enquiry member as current (1) or not (0), read from the standby directly.</summary>
    private static async Task<long> OnStandbyAsync(string standby, Guid member)
    {
        await using var connection = new Npgsql.NpgsqlConnection(standby);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""SELECT count(*) FROM "EnquiryMembers" WHERE "Id" = @id AND "RemovedAt" IS NULL""", connection);
        command.Parameters.AddWithValue("id", member);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task UntilOnStandbyAsync(string standby, Guid member, long expected)
    {
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(100))
        {
            if (await OnStandbyAsync(standby, member) == expected)
            {
                return;
            }
        }
        Assert.Fail($"the standby did not replay enquiry member {member} within 30 s");
    }

    [Fact]
    public async Task Given_a_standby_within_its_lag_then_exports_come_from_it_and_once_it_falls_behind_they_come_from_the_primary()
    {
        var primary = await PostgresServer.StartOwnAsync();
        PostgresServer? standby = null;
        try
        {
            await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres, server: primary);
            standby = await primary.StartStandbyAsync();
            var name = new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
            await using var hub = FhirTestHub.Over(database, new Dictionary<string, string?>
            {
                [$"{DatabaseOptions.Section}:ReplicaConnectionString"] = standby.ConnectionString(name),
                [$"{DatabaseOptions.Section}:ReplicaMaxLagSeconds"] = "4",
            });
            await WaitForReplicaAsync(hub, "healthy");
            var caughtUp = await ExportAsync(hub);
            Assert.Equal(HttpStatusCode.OK, caughtUp.Status);
            // A case whose police member the standby knows of (waited for until replayed there).
            var c = await hub.CaseAsync("Replicatest");
            Guid police;
            await using (var db = hub.Contexts.Create())
            {
                police = db.Set<Core.Records.EnquiryMember>().Single(m => m.EnquiryId == c.Enquiry.Id && m.UserSubject == "demo-police-officer").Id;
            }
            await UntilOnStandbyAsync(standby.ConnectionString(name), police, expected: 1);
            Assert.Equal(HttpStatusCode.OK, await ReadVisitAsync(hub, c));

            // Replay stops: the standby keeps what it had. Within the stated lag, exports still come from it, so each
            // one counts the same entries although every export appends its own entry at the primary.
            await standby.PauseReplayAsync(paused: true);
            // A decision never reads the standby: the police member removed at the primary is refused at once, while
            // the standby still holds the membership.
            using (var removed = await hub.SendAsync(HttpMethod.Delete, $"/enquiries/{c.Enquiry.Id}/members/{police}", "demo-la-lcpp"))
            {
                Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
            }
            Assert.Equal(HttpStatusCode.Forbidden, await ReadVisitAsync(hub, c));
            Assert.Equal(1, await OnStandbyAsync(standby.ConnectionString(name), police));
            var stale = new List<int>();
            for (var i = 0; i < 3; i++)
            {
                stale.Add((await ExportAsync(hub)).Rows);
            }
            Assert.Single(stale.Distinct());

            // Past the stated lag the standby is not used: /health says degraded (the node stays ready) and the export
            // counts what the primary holds, the three exports above among it.
            await WaitForReplicaAsync(hub, "degraded");
            using (var ready = await hub.GetAsync("/health", null))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }
            var fresh = await ExportAsync(hub);
            Assert.True(fresh.Rows >= stale[0] + 3, $"from the primary: {fresh.Rows} rows; from the stale standby: {stale[0]}");

            // Replay resumes: the standby catches up and is used again.
            await standby.PauseReplayAsync(paused: false);
            await WaitForReplicaAsync(hub, "healthy");
        }
        finally
        {
            if (standby is not null)
            {
                await standby.StopAsync();
            }
            await primary.StopAsync();
        }
    }

    [Fact]
    public async Task Given_a_hub_without_a_replica_then_health_does_not_list_one()
    {
        await using var hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite);
        Assert.Equal("absent", await ReplicaHealthAsync(hub));
    }

    [Fact]
    public async Task Given_a_replica_configured_on_sqlite_then_the_hub_stops_at_start_saying_sqlite_has_none()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var started = await Reliability.HubCli.RunServerAsync(database, "--urls", "http://127.0.0.1:0",
            $"--{DatabaseOptions.Section}:ReplicaConnectionString=Host=127.0.0.1;Database=standby");

        // Exit 78 (a setting to mend), the reason alone on standard error: no stack trace.
        Assert.True(started.ExitCode == 78, started.ToString());
        Assert.StartsWith("sharinghub: the hub cannot start: ", started.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", started.Error, StringComparison.Ordinal);
        Assert.Contains("ReplicaConnectionString is for PostgreSQL", started.Output + started.Error, StringComparison.Ordinal);
    }
}
