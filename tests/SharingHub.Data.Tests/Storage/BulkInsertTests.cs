using System.Collections;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

public abstract class BulkInsertTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    [Fact]
    public async Task Given_families_written_in_bulk_then_every_row_of_every_table_reads_back_as_written()
    {
        var generator = new DemoGenerator(new DemoOptions { Seed = 4242, Families = 6 });
        var mapper = new EntityMapper(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>(), TimeProvider.System.GetUtcNow());
        var contexts = Services.GetRequiredService<IHubDbContextFactory>();
        var written = new Dictionary<(string Type, string Key), string>();
        await using (var db = contexts.Create())
        {
            foreach (var family in generator.Generate())
            {
                mapper.Add(db, family);
            }
            foreach (var entry in db.ChangeTracker.Entries())
            {
                written[(entry.Metadata.Name, Key(entry.Metadata, entry.CurrentValues))] = Row(entry.Metadata, entry.CurrentValues);
            }
            await BulkInsert.SaveAddedAsync(db, CancellationToken.None);
        }

        Assert.True(written.Select(w => w.Key.Type).Distinct().Count() >= 12, "the families should fill at least a dozen tables");
        var read = new Dictionary<(string Type, string Key), string>();
        await using (var db = contexts.Create())
        {
            foreach (var type in db.Model.GetEntityTypes().Where(t => written.Keys.Any(k => k.Type == t.Name)))
            {
                var set = (IQueryable<object>)typeof(DbContext).GetMethod(nameof(DbContext.Set), Type.EmptyTypes)!.MakeGenericMethod(type.ClrType).Invoke(db, null)!;
                foreach (var entity in set.ToList())
                {
                    var values = db.Entry(entity).CurrentValues;
                    read[(type.Name, Key(type, values))] = Row(type, values);
                }
            }
        }
        Assert.Equal(written.Count, read.Count);
        Assert.All(written, w => Assert.Equal(w.Value, read[w.Key]));
    }

    [Fact]
    public async Task Given_a_unit_of_work_adding_a_person_and_many_events_then_every_event_reads_back_with_its_subject_and_saving_again_writes_nothing()
    {
        var build = new Testing.RecordBuilder(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>());
        var contexts = Services.GetRequiredService<IHubDbContextFactory>();
        var person = build.Person();
        var events = Enumerable.Range(0, 20).Select(i => build.Event(person, agency: "health", dataClass: "health.clinical", summary: $"Visit {i}", sourceReference: $"BULK-{i}",
            detail: i % 2 == 0 ? $"Detail {i}" : null)).ToList();
        await using (var db = contexts.Create())
        {
            db.People.Add(person);
            db.Events.AddRange(events);
            await db.SaveUnitOfWorkAsync(CancellationToken.None);
            Assert.All(db.ChangeTracker.Entries(), e => Assert.Equal(EntityState.Unchanged, e.State));
            await db.SaveUnitOfWorkAsync(CancellationToken.None);
        }

        await using var read = contexts.Create();
        var stored = await read.Events.AsNoTracking().OrderBy(e => e.SourceReference).ToListAsync();
        Assert.Equal(events.Select(e => e.Id).Order(), stored.Select(e => e.Id).Order());
        Assert.All(stored, e =>
        {
            var i = int.Parse(e.SourceReference!["BULK-".Length..], CultureInfo.InvariantCulture);
            Assert.Equal($"Visit {i}", build.Open(e, nameof(e.Summary), e.Summary));
            Assert.Equal(i % 2 == 0 ? $"Detail {i}" : null, e.Detail is null ? null : build.Open(e, nameof(e.Detail), e.Detail));
            Assert.Equal(person.Id, Assert.Single(e.Subjects).PersonId);
        });
    }

    [Fact]
    public async Task Given_the_last_event_of_a_large_unit_of_work_repeats_a_stored_source_reference_then_the_constraint_refuses_it_and_nothing_of_the_unit_is_stored()
    {
        var build = new Testing.RecordBuilder(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>());
        var contexts = Services.GetRequiredService<IHubDbContextFactory>();
        var first = build.Person();
        await using (var db = contexts.Create())
        {
            db.People.Add(first);
            db.Events.Add(build.Event(first, agency: "health", dataClass: "health.clinical", sourceReference: "TAKEN"));
            await db.SaveUnitOfWorkAsync(CancellationToken.None);
        }

        var second = build.Person(given: "Bea", identifier: "9434765870");
        await using (var db = contexts.Create())
        {
            db.People.Add(second);
            db.Events.AddRange(Enumerable.Range(0, 12).Select(i => build.Event(second, agency: "health", dataClass: "health.clinical", sourceReference: i == 11 ? "TAKEN" : $"NEW-{i}")));
            var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => db.SaveUnitOfWorkAsync(CancellationToken.None));
            Assert.True(refused is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 } or Npgsql.PostgresException { SqlState: "23505" }, refused.Message);
        }

        await using var read = contexts.Create();
        Assert.Equal([first.Id], await read.People.Select(p => p.Id).ToListAsync());
        Assert.Equal(["TAKEN"], await read.Events.Select(e => e.SourceReference).ToListAsync());
        Assert.Equal(1, await read.Set<Core.Records.EventSubject>().CountAsync());
    }

    private static string Key(IEntityType type, Microsoft.EntityFrameworkCore.ChangeTracking.PropertyValues values) =>
        string.Join('|', type.FindPrimaryKey()!.Properties.Select(p => Text(values[p])));

    private static string Row(IEntityType type, Microsoft.EntityFrameworkCore.ChangeTracking.PropertyValues values) =>
        string.Join('\n', type.GetProperties().Select(p => $"{p.Name}={Text(values[p])}"));

    /// <summary>A value as text; times to the microsecond, the precision PostgreSQL keeps.</summary>
    private static string Text(object? value) => value switch
    {
        null => "null",
        DateTimeOffset at => (at.UtcTicks / 10).ToString(CultureInfo.InvariantCulture),
        EncryptedValue sealedValue => Convert.ToHexString(sealedValue.ToBytes()),
        byte[] bytes => Convert.ToHexString(bytes),
        string text => text,
        IEnumerable items => "[" + string.Join(',', items.Cast<object?>().Select(Text)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

public sealed class SqliteBulkInsertTests() : BulkInsertTests(DatabaseEngine.Sqlite);

public sealed class PostgresBulkInsertTests() : BulkInsertTests(DatabaseEngine.Postgres);
