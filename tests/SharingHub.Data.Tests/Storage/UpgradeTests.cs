using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Audit;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Backup;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>
/// Upgrade (issue 28, family 4): a database in an earlier release's schema, holding that release's records and audit log,
/// is migrated to this release by the hub's own migrator, on each engine, and keeps every row, every sealed value and an
/// intact audit chain. The earlier schema is reached from a populated database with EF's down migrations to the last
/// migration that release shipped, so the rows are real rows, written by the hub, in the shape that schema gives them.
/// </summary>
public abstract class UpgradeTests(DatabaseEngine engine)
{
    /// <summary>The first release with EF migrations, and the release before Family Help: the last migration each shipped, by name (ids differ per engine).</summary>
    public static TheoryData<string> Releases => new() { "Initial", "ReferralUrgency" };

    [Theory]
    [MemberData(nameof(Releases))]
    public async Task Given_a_database_of_an_earlier_release_with_records_and_audit_when_the_hub_migrates_it_then_every_row_value_and_audit_entry_is_intact(string release)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var services = await database.StartServicesAsync();
        Assert.NotNull(await services.GetRequiredService<DemoDataLoader>().LoadIfEmptyAsync(new DemoOptions { Seed = 28, Families = 3 }, CancellationToken.None));
        var writer = services.GetRequiredService<AuditWriter>();
        await writer.StartAsync(CancellationToken.None);
        for (var i = 0; i < 40; i++)
        {
            await writer.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, $"req-{i}", "police", "demo-police-officer", "s47-enquiry", null, "event.read", "success", "permit",
                false, [Guid.NewGuid()], ["health"], $$"""{"resources":[{"type":"event","id":"{{Guid.NewGuid()}}"}]}"""), CancellationToken.None);
        }
        await writer.StopAsync(CancellationToken.None);
        await services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);
        var sealedBefore = await OpenEverythingAsync(services);

        // The earlier release's schema, with its rows.
        var contexts = services.GetRequiredService<IHubDbContextFactory>();
        await using (var db = contexts.Create())
        {
            await db.GetService<IMigrator>().MigrateAsync(release);
            Assert.EndsWith("_" + release, (await db.Database.GetAppliedMigrationsAsync()).Last(), StringComparison.Ordinal);
        }
        var (rowsThen, _) = await DatabaseBackup.CountAsync(engine, database.ConnectionString, CancellationToken.None);

        var applied = await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);

        await using (var db = contexts.Create())
        {
            var all = db.Database.GetMigrations().ToList();
            Assert.Equal(all.SkipWhile(m => !m.EndsWith("_" + release, StringComparison.Ordinal)).Skip(1), applied);
            Assert.NotEmpty(applied);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }
        var (rowsNow, _) = await DatabaseBackup.CountAsync(engine, database.ConnectionString, CancellationToken.None);
        foreach (var (table, count) in rowsThen.Where(t => !t.Key.StartsWith("__", StringComparison.Ordinal)))
        {
            Assert.True(rowsNow.GetValueOrDefault(table) == count, $"{table}: {count} rows in the {release} schema, {rowsNow.GetValueOrDefault(table)} after the upgrade");
        }
        Assert.True(rowsThen["Events"] > 100 && rowsThen["People"] > 20 && rowsThen["AuditEntries"] >= 40, "the earlier release's database holds records and audit");
        var sealedAfter = await OpenEverythingAsync(services);
        Assert.Equal(sealedBefore.Count, sealedAfter.Count);
        foreach (var (key, value) in sealedBefore)
        {
            Assert.Equal(value, sealedAfter[key]);
        }

        await using var check = contexts.Create();
        var verification = AuditVerifier.Verify(check.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).AsEnumerable(),
            await check.AuditCheckpoints.AsNoTracking().ToListAsync(), services.GetRequiredService<AuditCheckpointer>().PublicKeys);
        Assert.True(verification.Ok, $"audit after the upgrade: {verification.Problem} at {verification.FirstBadSequence}");
        Assert.True(verification.EntriesChecked >= 40 && verification.LatestCheckpointSize >= 40);
    }

    /// <summary>Every person's given name and every event's summary, opened: what a practitioner would read.</summary>
    private static async Task<Dictionary<string, string?>> OpenEverythingAsync(ServiceProvider services)
    {
        var cipher = services.GetRequiredService<IFieldCipher>();
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        var opened = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var person in await db.People.AsNoTracking().ToListAsync())
        {
            opened[$"person {person.Id}"] = cipher.Decrypt(person.GivenName, SensitiveFields.For(person, nameof(Person.GivenName))).Value;
        }
        foreach (var ev in await db.Events.AsNoTracking().ToListAsync())
        {
            opened[$"event {ev.Id}"] = cipher.Decrypt(ev.Summary, SensitiveFields.For(ev, nameof(ChronologyEvent.Summary))).Value;
        }
        Assert.DoesNotContain(opened, o => o.Value is null && !o.Key.StartsWith("person", StringComparison.Ordinal));
        return opened;
    }
}

public sealed class SqliteUpgradeTests() : UpgradeTests(DatabaseEngine.Sqlite);

public sealed class PostgresUpgradeTests() : UpgradeTests(DatabaseEngine.Postgres);
