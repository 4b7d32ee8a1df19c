using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>
/// A query over a list of ids (a person's linked records, a case's subjects, a return's thousands of children) answers however
/// long the list: SQLite refuses a statement of more than 32,766 parameters, so each list goes to the database as one parameter on
/// both engines (EF Core 10 would otherwise send a parameter per id on SQLite).
/// </summary>
public abstract class LargeListTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private IRecordStore Store => Services.GetRequiredService<IRecordStore>();
    private RecordBuilder Build => new(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>());

    [Fact]
    public async Task Given_40000_people_asked_for_then_the_events_of_those_held_are_found()
    {
        var (first, second, other) = (Build.Person(), Build.Person(), Build.Person());
        foreach (var person in new[] { first, second, other })
        {
            await Store.AddAsync(person, CancellationToken.None);
        }
        var firstEvent = await Store.AddAsync(Build.Event(first), CancellationToken.None);
        var secondEvent = await Store.AddAsync(Build.Event(second), CancellationToken.None);
        await Store.AddAsync(Build.Event(other), CancellationToken.None);
        var asked = Enumerable.Range(0, 40_000).Select(_ => Guid.NewGuid()).Append(first.Id).Append(second.Id).ToList();

        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var query = db.Events.AsNoTracking().Where(e => e.Subjects.Any(s => asked.Contains(s.PersonId))).Select(e => e.Id);
        var found = await query.ToListAsync();

        Assert.Equal(new[] { firstEvent.Id, secondEvent.Id }.Order(), found.Order());
        Assert.Single(query.CreateDbCommand().Parameters);
    }
}

public sealed class SqliteLargeListTests() : LargeListTests(DatabaseEngine.Sqlite);
public sealed class PostgresLargeListTests() : LargeListTests(DatabaseEngine.Postgres);
