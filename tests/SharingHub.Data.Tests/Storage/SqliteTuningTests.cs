using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>
/// How the hub's SQLite connections read: a 32 MiB page cache each, and no memory map. Every secured request commits an
/// audit entry, so nearly every read begins after another connection's commit; with the file memory-mapped SQLite then
/// dropped the whole map and made it again, and the benchmark's floor measured such a read 4x slower mapped than through
/// the page cache (docs/performance.md, "Where the hub stands").
/// </summary>
public sealed class SqliteTuningTests() : DatabaseTest(DatabaseEngine.Sqlite)
{
    [Fact]
    public async Task Given_a_connection_the_hub_reads_records_through_then_its_page_cache_is_32_MiB_and_the_file_is_not_memory_mapped()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        await db.Database.OpenConnectionAsync();
        var connection = (SqliteConnection)db.Database.GetDbConnection();

        Assert.Equal(-32 * 1024L, await PragmaAsync(connection, "cache_size"));
        Assert.Equal(0L, await PragmaAsync(connection, "mmap_size"));
    }

    [Fact]
    public async Task Given_a_connection_the_hub_opens_itself_then_it_is_tuned_the_same()
    {
        // As the audit writer and the prepared case read open theirs: outside EF, tuned by SqliteTuning.Tune.
        await using var connection = new SqliteConnection(Database.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(-2_000L, await PragmaAsync(connection, "cache_size"));

        SqliteTuning.Tune(connection);

        Assert.Equal(-32 * 1024L, await PragmaAsync(connection, "cache_size"));
        Assert.Equal(0L, await PragmaAsync(connection, "mmap_size"));
    }

    private static async Task<long> PragmaAsync(SqliteConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
