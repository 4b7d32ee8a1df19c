using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>The store's contract, run once per engine (see the two sealed classes at the end).</summary>
public abstract class RecordStoreTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private IRecordStore Store => Services.GetRequiredService<IRecordStore>();
    private RecordBuilder Build => new(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>());

    [Fact]
    public async Task Given_a_person_with_an_identifier_when_stored_and_read_back_then_every_field_round_trips()
    {
        var person = Build.Person(given: "Ada", family: "Testperson", birthDate: "2015-03-04");
        await Store.AddAsync(person, CancellationToken.None);

        var read = await Store.FindAsync<Person>(person.Id, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal("Ada", Build.Open(read, nameof(Person.GivenName), read.GivenName));
        Assert.Equal("Testperson", Build.Open(read, nameof(Person.FamilyName), read.FamilyName));
        Assert.Equal("2015-03-04", Build.Open(read, nameof(Person.BirthDate), read.BirthDate));
        Assert.Equal(1, read.Version);
        Assert.Equal(person.CreatedAt, read.CreatedAt);
        var identifier = Assert.Single(read.Identifiers);
        Assert.Equal(IdentifierKind.NhsNumber, identifier.Kind);
        Assert.Equal(person.Identifiers[0].ValueIndex, identifier.ValueIndex);
    }

    [Fact]
    public async Task Given_an_event_about_a_person_when_stored_then_subjects_times_and_enums_read_back()
    {
        var person = await Store.AddAsync(Build.Person(), CancellationToken.None);
        var occurred = new DateTimeOffset(2026, 2, 28, 23, 59, 59, TimeSpan.Zero).AddTicks(1234560);
        var ev = Build.Event(person, occurredAt: occurred, sourceReference: "NICHE-0001");
        await Store.AddAsync(ev, CancellationToken.None);

        var read = await Store.FindAsync<ChronologyEvent>(ev.Id, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(occurred, read.OccurredAt);
        Assert.Equal(Significance.High, read.Significance);
        Assert.Equal(person.Id, Assert.Single(read.Subjects).PersonId);
        Assert.Equal("Police attended the home", Build.Open(read, nameof(ChronologyEvent.Summary), read.Summary));
    }

    [Fact]
    public async Task Given_a_consent_with_scopes_when_stored_then_its_lists_read_back_in_order()
    {
        var child = await Store.AddAsync(Build.Person(agency: "la"), CancellationToken.None);
        var consent = new Consent
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "consent", SubjectPersonId = child.Id, Grantor = ConsentGrantor.ParentalResponsibility,
            Decision = ConsentDecision.Permit, Status = ConsentStatus.Active, RecipientAgencies = ["health", "education"],
            Purposes = ["family-help"], DataClasses = ["education.attendance", "health.clinical"], PeriodStart = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        };
        await Store.AddAsync(consent, CancellationToken.None);

        var read = await Store.FindAsync<Consent>(consent.Id, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(["health", "education"], read.RecipientAgencies);
        Assert.Equal(["education.attendance", "health.clinical"], read.DataClasses);
        Assert.Null(read.PeriodEnd);
    }

    [Fact]
    public async Task Given_a_record_when_updated_with_its_current_version_then_the_change_lands_and_the_version_goes_up()
    {
        var person = await Store.AddAsync(Build.Person(), CancellationToken.None);
        var newName = Build.Seal(person, nameof(Person.GivenName), "Adaline");

        var result = await Store.UpdateAsync<Person>(person.Id, 1, p => p.GivenName = newName, CancellationToken.None);

        Assert.Equal(UpdateStatus.Updated, result.Status);
        var read = await Store.FindAsync<Person>(person.Id, CancellationToken.None);
        Assert.Equal(2, read!.Version);
        Assert.Equal("W/\"2\"", read.ETag);
        Assert.Equal("Adaline", Build.Open(read, nameof(Person.GivenName), read.GivenName));
    }

    [Fact]
    public async Task Given_a_stale_version_when_updating_then_a_conflict_is_returned_and_the_stored_record_is_unchanged()
    {
        var person = await Store.AddAsync(Build.Person(given: "Ada"), CancellationToken.None);
        await Store.UpdateAsync<Person>(person.Id, 1, p => p.Sex = "unknown", CancellationToken.None);

        var stale = await Store.UpdateAsync<Person>(person.Id, 1, p => p.Sex = "male", CancellationToken.None);

        Assert.Equal(UpdateStatus.VersionConflict, stale.Status);
        Assert.Equal(2, stale.CurrentVersion);
        var read = await Store.FindAsync<Person>(person.Id, CancellationToken.None);
        Assert.Equal("unknown", read!.Sex);
        Assert.Equal(2, read.Version);
    }

    [Fact]
    public async Task Given_many_writers_racing_from_the_same_version_then_exactly_one_wins_and_no_write_is_lost_silently()
    {
        var person = await Store.AddAsync(Build.Person(), CancellationToken.None);
        using var start = new ManualResetEventSlim();
        var writers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await Store.UpdateAsync<Person>(person.Id, 1, p => p.Sex = $"writer-{i}", CancellationToken.None);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(writers);

        Assert.Single(results, r => r.Status == UpdateStatus.Updated);
        Assert.All(results.Where(r => r.Status != UpdateStatus.Updated), r => Assert.Equal(UpdateStatus.VersionConflict, r.Status));
        var read = await Store.FindAsync<Person>(person.Id, CancellationToken.None);
        Assert.Equal(2, read!.Version);
        Assert.Equal(results.Single(r => r.Status == UpdateStatus.Updated).Record!.Sex, read.Sex);
    }

    [Fact]
    public async Task Given_an_unknown_id_when_updating_then_not_found_is_returned() =>
        Assert.Equal(UpdateStatus.NotFound, (await Store.UpdateAsync<Person>(Guid.NewGuid(), 1, _ => { }, CancellationToken.None)).Status);

    [Fact]
    public async Task Given_an_update_that_changes_the_owner_when_applied_then_it_is_refused_and_nothing_is_written()
    {
        var person = await Store.AddAsync(Build.Person(agency: "health"), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Store.UpdateAsync<Person>(person.Id, 1, p => p.OwningAgency = "police", CancellationToken.None));
        var read = await Store.FindAsync<Person>(person.Id, CancellationToken.None);
        Assert.Equal("health", read!.OwningAgency);
        Assert.Equal(1, read.Version);
    }

    [Fact]
    public async Task Given_the_same_source_reference_pushed_twice_by_one_agency_then_the_second_is_refused()
    {
        var person = await Store.AddAsync(Build.Person(), CancellationToken.None);
        await Store.AddAsync(Build.Event(person, sourceReference: "NICHE-42"), CancellationToken.None);
        await Assert.ThrowsAnyAsync<Microsoft.EntityFrameworkCore.DbUpdateException>(() =>
            Store.AddAsync(Build.Event(person, sourceReference: "NICHE-42"), CancellationToken.None));
    }
}

public sealed class SqliteRecordStoreTests() : RecordStoreTests(DatabaseEngine.Sqlite);

public sealed class PostgresRecordStoreTests() : RecordStoreTests(DatabaseEngine.Postgres);
