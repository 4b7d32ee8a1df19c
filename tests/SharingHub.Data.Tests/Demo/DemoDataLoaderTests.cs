using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Demo;

public abstract class DemoDataLoaderTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private static readonly DemoOptions Options = new() { Seed = 99, Families = 4 };

    [Fact]
    public async Task Given_an_emptyDatabase_when_demo_data_loads_then_stored_records_decrypt_to_the_generated_values()
    {
        var loader = Services.GetRequiredService<DemoDataLoader>();
        Assert.NotNull(await loader.LoadIfEmptyAsync(Options, CancellationToken.None));

        var expected = new DemoGenerator(Options).Generate().ToList();
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        Assert.Equal(expected.Sum(f => f.Events.Count), await db.Events.CountAsync());
        Assert.Equal(expected.Sum(f => f.People.Count), await db.People.CountAsync());

        var cipher = Services.GetRequiredService<IFieldCipher>();
        var generated = expected[2].People[0];
        var stored = await db.People.SingleAsync(p => p.Id == generated.Id);
        Assert.Equal(generated.GivenName, cipher.Decrypt(stored.GivenName, new FieldContext(stored.Id, nameof(Person.GivenName), stored.OwningAgency, stored.DataClass)).Value);
        var generatedEvent = expected[1].Events[^1];
        var storedEvent = await db.Events.SingleAsync(e => e.Id == generatedEvent.Id);
        Assert.Equal(generatedEvent.Summary, cipher.Decrypt(storedEvent.Summary, new FieldContext(storedEvent.Id, nameof(ChronologyEvent.Summary), storedEvent.OwningAgency, storedEvent.DataClass)).Value);
    }

    [Fact]
    public async Task Given_the_demo_loads_then_schools_and_health_records_are_held_by_their_organisations_and_one_child_has_moved_school()
    {
        var loader = Services.GetRequiredService<DemoDataLoader>();
        Assert.NotNull(await loader.LoadIfEmptyAsync(new DemoOptions { Families = 2 }, CancellationToken.None));

        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var education = await db.People.Where(p => p.OwningAgency == "education").Select(p => p.OwningOrganisation).ToListAsync();
        Assert.Contains(DemoOrganisations.HillsideSchool, education);
        Assert.Contains(DemoOrganisations.RiversideSchool, education);
        Assert.DoesNotContain("education", education);
        var health = await db.Events.Where(e => e.OwningAgency == "health").Select(e => e.OwningOrganisation).Distinct().ToListAsync();
        Assert.Equal([DemoOrganisations.RiversidePractice, DemoOrganisations.NorthgateTrust], health.Order(StringComparer.Ordinal));
        Assert.Empty(await db.People.Where(p => p.OwningAgency == "la" && p.OwningOrganisation != "la").ToListAsync());

        // The first family's pupil is on Hillside's roll now; Riverside keeps its own record and what it recorded then.
        var first = new DemoGenerator(new DemoOptions { Families = 2 }).GenerateFamily(0);
        var moved = first.People.Where(p => p.Agency == "education").GroupBy(p => p.IndividualKey).Single(g => g.Count() == 2);
        Assert.Equal([DemoOrganisations.HillsideSchool, DemoOrganisations.RiversideSchool], moved.Select(p => p.Organisation!).Order(StringComparer.Ordinal));
        // A UPN stays with the pupil from school to school: both schools' records carry the one they have.
        Assert.Single(moved.SelectMany(p => p.Identifiers).Where(i => i.Kind == IdentifierKind.Upn).Select(i => i.Value).Distinct());
        var riverside = moved.Single(p => p.Organisation == DemoOrganisations.RiversideSchool).Id;
        var riversideEvents = await db.Events.Where(e => e.Subjects.Any(s => s.PersonId == riverside)).ToListAsync();
        Assert.Equal(2, riversideEvents.Count);
        Assert.All(riversideEvents, e => Assert.Equal(DemoOrganisations.RiversideSchool, e.OwningOrganisation));
    }

    [Fact]
    public async Task Given_demo_data_already_loaded_when_the_hub_restarts_with_demo_then_nothing_is_duplicated()
    {
        var loader = Services.GetRequiredService<DemoDataLoader>();
        await loader.LoadIfEmptyAsync(Options, CancellationToken.None);
        Assert.Null(await loader.LoadIfEmptyAsync(Options, CancellationToken.None));
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        Assert.Equal(new DemoGenerator(Options).Generate().Sum(f => f.People.Count), await db.People.CountAsync());
    }

    [Fact]
    public async Task Given_a_person_loaded_from_demo_when_found_by_blind_index_then_the_identifier_matches_without_plaintext_in_theDatabase()
    {
        await Services.GetRequiredService<DemoDataLoader>().LoadAsync(Options, null, CancellationToken.None);
        var nhs = new DemoGenerator(Options).GenerateFamily(0).People.First(p => p.Agency == "health").Identifiers.Single();
        var index = Services.GetRequiredService<IBlindIndexer>().Compute(nameof(IdentifierKind.NhsNumber), nhs.Value);
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var match = await db.PersonIdentifiers.Where(i => i.Kind == IdentifierKind.NhsNumber && i.ValueIndex == index).ToListAsync();
        Assert.Single(match);

        var household = new DemoGenerator(Options).GenerateFamily(0).Households.Single();
        var postcode = SharingHub.Core.People.AgencyIdentifiers.PostcodeIndexForm(household.Address);
        Assert.NotNull(postcode);
        var byPostcode = Services.GetRequiredService<IBlindIndexer>().Compute("postcode", postcode);
        Assert.True(await db.Households.AnyAsync(h => h.PostcodeIndex == byPostcode));
        Assert.True(await db.People.CountAsync(p => p.PostcodeIndex == byPostcode) >= 2);
    }
}

public sealed class SqliteDemoDataLoaderTests() : DemoDataLoaderTests(DatabaseEngine.Sqlite)
{
    [Fact]
    public async Task Given_demo_data_in_a_sqlite_file_then_no_summary_name_or_identifier_appears_in_plaintext_in_the_file()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using (var services = await database.StartServicesAsync())
        {
            await services.GetRequiredService<DemoDataLoader>().LoadAsync(Options2, null, CancellationToken.None);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var raw = string.Concat(Directory.GetFiles(database.Folder, "hub.db*").Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        var family = new DemoGenerator(Options2).GenerateFamily(0);
        var canaries = family.Events.Take(20).Select(e => e.Summary[..Math.Min(24, e.Summary.Length)])
            .Concat(family.People.Select(p => p.FamilyName))
            .Concat(family.People.SelectMany(p => p.Identifiers).Select(i => i.Value));
        Assert.All(canaries, c => Assert.DoesNotContain(c, raw, StringComparison.Ordinal));
    }

    private static readonly DemoOptions Options2 = new() { Seed = 123, Families = 2 };

    [Fact]
    public async Task Given_a_large_load_on_sqlite_then_its_write_ahead_log_is_started_again_as_it_goes_rather_than_growing_with_everything_written()
    {
        // Twice the batches between two restarts of the log: without them the log grows with every batch written.
        var batches = 2 * DemoDataLoader.WalRestartEvery;
        var options = new DemoOptions { Seed = 7, Families = batches * DemoDataLoader.FamiliesPerBatch };
        // Pooled, as the hub and the command-line tool are: unpooled, the last connection closed takes the log away with it.
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite, pooled: true);
        var wal = Path.Combine(database.Folder, "hub.db-wal");
        var sizes = new SizesAfterEachBatch(wal);
        await using (var services = await database.StartServicesAsync())
        {
            await services.GetRequiredService<DemoDataLoader>().LoadAsync(options, sizes, CancellationToken.None);
        }
        Assert.Equal(batches, sizes.Bytes.Count);
        var shown = string.Join(", ", sizes.Bytes);
        // Emptied every few batches, it holds at most those batches' pages, however large the load (without: it only grows).
        Assert.True(sizes.Bytes[0] > 0, $"the log was not kept: {shown} bytes after each batch");
        Assert.All(Enumerable.Range(1, batches / DemoDataLoader.WalRestartEvery).Select(n => sizes.Bytes[n * DemoDataLoader.WalRestartEvery - 1]),
            bytes => Assert.True(bytes == 0, $"the log was not emptied: {shown} bytes after each batch"));
    }

    /// <summary>The write-ahead log's size as each batch is reported written (synchronously, unlike Progress).</summary>
    private sealed class SizesAfterEachBatch(string wal) : IProgress<DemoLoadSummary>
    {
        public List<long> Bytes { get; } = [];

        public void Report(DemoLoadSummary value) => Bytes.Add(File.Exists(wal) ? new FileInfo(wal).Length : 0);
    }
}

public sealed class PostgresDemoDataLoaderTests() : DemoDataLoaderTests(DatabaseEngine.Postgres);
