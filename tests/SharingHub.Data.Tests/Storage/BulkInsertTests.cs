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
