using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Audit;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>
/// SQLite has one writer at a time. A hub connection that finds the write lock taken waits in SQLite's own busy handler
/// (polling every few milliseconds) rather than failing at once into Microsoft.Data.Sqlite's retry, which sleeps 150 ms a
/// time: that sleep made writes wait several times longer than the lock was held (the parser run's writes over a second).
/// </summary>
public sealed class SqliteLockWaitTests() : DatabaseTest(DatabaseEngine.Sqlite)
{
    [Fact]
    public async Task Given_a_hub_connection_then_sqlite_itself_waits_up_to_thirty_seconds_for_another_writer()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA busy_timeout;";

        Assert.Equal(30_000L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(";Default Timeout=1", 1_000L)]
    [InlineData(";Default Timeout=0", int.MaxValue)]
    public async Task Given_an_operators_timeout_in_the_connection_string_then_the_wait_for_the_lock_keeps_to_it(string setting, long expectedMs)
    {
        await using var connection = new SqliteConnection(Database.ConnectionString + setting);
        await connection.OpenAsync();
        SqliteTuning.Tune(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout;";

        Assert.Equal(expectedMs, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Given_another_connection_holding_the_write_lock_then_a_record_write_and_an_audit_append_wait_for_it_and_both_land()
    {
        var writer = Services.GetRequiredService<AuditWriter>();
        await writer.StartAsync(CancellationToken.None);
        // The audit writer's own connection opens with its first batch: open it before the lock is taken.
        await writer.AppendAsync(Record("before"), CancellationToken.None);
        var store = Services.GetRequiredService<IRecordStore>();
        var build = new RecordBuilder(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>());
        // Sealing may create the agency's data key (a write of its own): done before the lock is taken.
        var person = build.Person(given: "Wait");

        await using var blocker = new SqliteConnection(Database.ConnectionString);
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();
        }
        var write = Task.Run(() => store.AddAsync(person, CancellationToken.None));
        var append = Task.Run(() => writer.AppendAsync(Record("during"), CancellationToken.None));
        await Task.Delay(300);
        Assert.False(write.IsCompleted, "the write should wait for the lock, not fail or pass it");
        Assert.False(append.IsCompleted, "the audit append should wait for the lock, not fail or pass it");
        await using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT;";
            await commit.ExecuteNonQueryAsync();
        }

        await write.WaitAsync(TimeSpan.FromSeconds(20));
        var sequence = await append.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotNull(await store.FindAsync<Person>(person.Id, CancellationToken.None));
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        Assert.Equal("req-during", (await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Sequence == sequence)).RequestId);
    }

    private static AuditRecord Record(string request) => new(
        DateTimeOffset.UtcNow, $"req-{request}", "police", "user-1", "s47-enquiry", null, "event.read", "success", "permit", false,
        [Guid.NewGuid()], ["health"], """{"resources":[]}""");
}
