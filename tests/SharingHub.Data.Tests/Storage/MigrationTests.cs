using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

public abstract class MigrationTests(DatabaseEngine engine)
{
    [Fact]
    public async Task Given_a_new_database_when_migrated_then_every_table_and_column_the_model_maps_exists()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var services = await database.StartServicesAsync();
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        var missing = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            var columns = await ColumnsAsync(connection, table);
            if (columns.Count == 0)
            {
                missing.Add(table);
                continue;
            }
            var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table);
            missing.AddRange(entity.GetProperties().Select(p => p.GetColumnName(store)!).Where(c => !columns.Contains(c)).Select(c => $"{table}.{c}"));
        }
        Assert.Empty(missing);
    }

    [Fact]
    public async Task Given_a_migrated_database_when_migrated_again_then_nothing_is_applied_twice()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var services = await database.StartServicesAsync();
        var again = await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        Assert.Empty(again);
    }

    [Fact]
    public async Task Given_two_hubs_starting_together_on_one_database_then_each_migration_is_applied_exactly_once()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var starts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => database.StartServicesAsync())));
        await using var db = starts[0].GetRequiredService<IHubDbContextFactory>().Create();
        var agencies = await db.Agencies.CountAsync();
        Assert.Equal(5, agencies);
        foreach (var s in starts)
        {
            await s.DisposeAsync();
        }
    }

    private async Task<HashSet<string>> ColumnsAsync(DbConnection connection, string table)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = engine == DatabaseEngine.Sqlite
            ? $"SELECT name FROM pragma_table_info('{table}')"
            : $"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'";
        var columns = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }
        return columns;
    }
}

/// <remarks>PostgreSQL's files belong to its server, which keeps its data folder owner-only itself.</remarks>
public sealed class SqliteMigrationTests() : MigrationTests(DatabaseEngine.Sqlite)
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Given_a_new_sqlite_database_when_migrated_and_written_then_it_and_its_wal_are_readable_by_the_owner_alone()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var services = await database.StartServicesAsync();
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("UPDATE \"__sharinghub_migrations\" SET applied_at = applied_at");

        var path = Path.Combine(database.Folder, "hub.db");
        Assert.True(File.Exists(path + "-wal"), "the WAL file is there while the database is open");
        foreach (var file in new[] { path, path + "-wal" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }
}

public sealed class PostgresMigrationTests() : MigrationTests(DatabaseEngine.Postgres);
