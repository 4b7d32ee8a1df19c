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

    [Fact]
    public async Task Given_the_model_then_it_has_no_changes_that_a_migration_does_not_hold()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var services = await database.StartServicesAsync(migrate: false);
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();

        Assert.False(db.Database.HasPendingModelChanges(), "the model changed without a migration: run dotnet ef migrations add (README, Changing the schema)");
    }

    [Fact]
    public async Task Given_a_database_made_by_the_old_sql_scripts_when_the_hub_starts_then_it_is_brought_to_the_baseline_keeps_its_rows_and_matches_a_new_one()
    {
        await using var legacy = await TestDatabase.CreateAsync(engine);
        var scripts = DatabaseMigrator.Scripts(engine);
        await using (var old = await legacy.StartServicesAsync(migrate: false))
        {
            // As a hub before EF migrations left it: every script but the last applied, each recorded with its checksum.
            await using var db = old.GetRequiredService<IHubDbContextFactory>().Create();
            await db.Database.ExecuteSqlRawAsync("CREATE TABLE __sharinghub_migrations (id VARCHAR(150) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(40) NOT NULL)");
            foreach (var (id, sql, checksum) in scripts.SkipLast(1))
            {
                await db.Database.ExecuteSqlRawAsync(sql);
                await db.Database.ExecuteSqlAsync($"INSERT INTO __sharinghub_migrations (id, checksum, applied_at) VALUES ({id}, {checksum}, {"2026-11-01T00:00:00Z"})");
            }
            await db.Database.ExecuteSqlRawAsync("""INSERT INTO "Agencies" ("Code", "Name") VALUES ('test-agency', 'Kept across the upgrade')""");
        }

        await using var upgraded = await legacy.StartServicesAsync();
        var again = await upgraded.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        await using var fresh = await TestDatabase.CreateAsync(engine);
        await using var made = await fresh.StartServicesAsync();

        Assert.Empty(again);
        await using var upgradedDb = upgraded.GetRequiredService<IHubDbContextFactory>().Create();
        Assert.Equal("Kept across the upgrade", (await upgradedDb.Agencies.SingleAsync(a => a.Code == "test-agency")).Name);
        Assert.Contains(upgradedDb.Database.GetMigrations().First(), await upgradedDb.Database.GetAppliedMigrationsAsync());
        await using var freshDb = made.GetRequiredService<IHubDbContextFactory>().Create();
        var expected = await SchemaAsync(freshDb);
        var actual = await SchemaAsync(upgradedDb);
        Assert.True(expected.Count > 100, $"the schema read back has only {expected.Count} lines");
        Assert.True(expected.SetEquals(actual),
            "schemas differ; only in the upgraded: " + string.Join("; ", actual.Except(expected)) + " | only in a new one: " + string.Join("; ", expected.Except(actual)));
    }

    /// <summary>Tables, columns (type, nullability, key), indexes (uniqueness, columns) and foreign keys, in a form both engines compare on; history tables left out.</summary>
    private async Task<HashSet<string>> SchemaAsync(HubDbContext db)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var queries = engine == DatabaseEngine.Sqlite
            ? new[]
            {
                """SELECT m.name || '.' || c.name || ' ' || upper(c.type) || ' notnull=' || c."notnull" || ' pk=' || c.pk FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table'""",
                """SELECT m.name || ' index ' || CASE WHEN i.name LIKE 'sqlite_autoindex%' THEN 'auto' ELSE i.name END || ' unique=' || i."unique" || ' (' || (SELECT group_concat(x.name, ',') FROM pragma_index_info(i.name) x) || ')' FROM sqlite_master m, pragma_index_list(m.name) i WHERE m.type = 'table'""",
                """SELECT m.name || ' fk ' || f."from" || ' -> ' || f."table" || '.' || f."to" || ' ' || f.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'""",
            }
            : new[]
            {
                """SELECT table_name || '.' || column_name || ' ' || data_type || ' nullable=' || is_nullable || coalesce(' max=' || character_maximum_length, '') FROM information_schema.columns WHERE table_schema = current_schema()""",
                """SELECT tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()""",
                """SELECT tc.table_name || ' ' || tc.constraint_type || ' ' || tc.constraint_name FROM information_schema.table_constraints tc WHERE tc.table_schema = current_schema() AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')""",
            };
        var schema = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = query;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var line = reader.GetString(0);
                if (!line.Contains("__sharinghub_migrations", StringComparison.Ordinal) && !line.Contains("__EFMigrations", StringComparison.Ordinal))
                {
                    schema.Add(line);
                }
            }
        }
        return schema;
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
        await db.Database.ExecuteSqlRawAsync("UPDATE \"__EFMigrationsHistory\" SET \"ProductVersion\" = \"ProductVersion\"");

        var path = Path.Combine(database.Folder, "hub.db");
        Assert.True(File.Exists(path + "-wal"), "the WAL file is there while the database is open");
        foreach (var file in new[] { path, path + "-wal" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }
}

public sealed class PostgresMigrationTests() : MigrationTests(DatabaseEngine.Postgres)
{
    [Fact]
    public async Task Given_a_dba_built_the_linkage_indexes_concurrently_on_a_live_database_when_the_hub_migrates_then_it_finds_them_made()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        await using var services = await database.StartServicesAsync();
        await using (var db = services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            // As deploy/README.md tells a DBA: the release's index built first, without blocking writes, then the migration run.
            await db.Database.ExecuteSqlRawAsync("""DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" LIKE '%_LinkageBlockingIndexes'""");
            await db.Database.ExecuteSqlRawAsync("""DROP INDEX "IX_People_BirthDateSwappedIndex_FamilyPhoneticIndex", "IX_People_GivenNameIndex" """);
            await db.Database.ExecuteSqlRawAsync("""CREATE INDEX CONCURRENTLY "IX_People_BirthDateSwappedIndex_FamilyPhoneticIndex" ON "People" ("BirthDateSwappedIndex", "FamilyPhoneticIndex")""");
            await db.Database.ExecuteSqlRawAsync("""CREATE INDEX CONCURRENTLY "IX_People_GivenNameIndex" ON "People" ("GivenNameIndex")""");
        }

        var applied = await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);

        Assert.Contains(applied, m => m.EndsWith("_LinkageBlockingIndexes", StringComparison.Ordinal));
        await using var check = services.GetRequiredService<IHubDbContextFactory>().Create();
        var indexes = await check.Database.SqlQueryRaw<string>(
            """SELECT indexname AS "Value" FROM pg_indexes WHERE tablename = 'People' AND indexname IN ('IX_People_BirthDateSwappedIndex_FamilyPhoneticIndex', 'IX_People_GivenNameIndex')""").ToListAsync();
        Assert.Equal(2, indexes.Count);
    }
}
