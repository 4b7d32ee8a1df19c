using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using Record = SharingHub.Core.Records.Record;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Demo;
using SharingHub.Data.Keys;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Keys;

public abstract class ReencryptionJobTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private async Task<List<(Record Record, string Field, EncryptedValue Value)>> AllValuesAsync()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var values = new List<(Record, string, EncryptedValue)>();
        foreach (var e in await db.Events.AsNoTracking().ToListAsync())
        {
            values.Add((e, nameof(ChronologyEvent.Summary), e.Summary));
        }
        return values;
    }

    [Fact]
    public async Task Given_a_retired_key_when_the_job_runs_alongside_readers_then_no_read_fails_and_afterwards_no_value_uses_it()
    {
        await Services.GetRequiredService<DemoDataLoader>().LoadAsync(new DemoOptions { Seed = 41, Families = 3 }, null, CancellationToken.None);
        var cipher = Services.GetRequiredService<IFieldCipher>();
        var before = await AllValuesAsync();
        var policeKey = before.First(v => v.Record.OwningAgency == "police").Value.KeyId;
        var expected = before.ToDictionary(v => v.Record.Id, v => cipher.Decrypt(v.Value, SensitiveFields.For(v.Record, v.Field)).Value);
        var progressFile = Path.Combine(Database.Folder, "reencrypt.json");

        using var stop = new CancellationTokenSource();
        var failedReads = 0;
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var (record, field, value) in await AllValuesAsync())
                {
                    if (cipher.Decrypt(value, SensitiveFields.For(record, field)).Value != expected[record.Id])
                    {
                        Interlocked.Increment(ref failedReads);
                    }
                }
            }
        });
        var progress = await Services.GetRequiredService<ReencryptionJob>().RunAsync(policeKey, progressFile, batchSize: 7, report: null, CancellationToken.None);
        stop.Cancel();
        await reader;

        Assert.True(progress.Done);
        Assert.True(progress.Reencrypted > 0);
        Assert.Equal(0, failedReads);
        var after = await AllValuesAsync();
        Assert.DoesNotContain(after, v => v.Value.KeyId == policeKey);
        Assert.All(after, v => Assert.Equal(expected[v.Record.Id], cipher.Decrypt(v.Value, SensitiveFields.For(v.Record, v.Field)).Value));
    }

    [Fact]
    public async Task Given_an_interrupted_job_when_run_again_then_it_resumes_from_its_progress_file()
    {
        await Services.GetRequiredService<DemoDataLoader>().LoadAsync(new DemoOptions { Seed = 42, Families = 3 }, null, CancellationToken.None);
        var key = (await AllValuesAsync()).First(v => v.Record.OwningAgency == "health").Value.KeyId;
        var progressFile = Path.Combine(Database.Folder, "reencrypt.json");
        using var interrupt = new CancellationTokenSource();
        var batches = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Services.GetRequiredService<ReencryptionJob>().RunAsync(key, progressFile, 5, line =>
        {
            if (++batches == 3)
            {
                interrupt.Cancel();
            }
        }, interrupt.Token));
        Assert.True(File.Exists(progressFile));

        var lines = new List<string>();
        var progress = await Services.GetRequiredService<ReencryptionJob>().RunAsync(key, progressFile, 5, lines.Add, CancellationToken.None);

        Assert.True(progress.Done);
        Assert.DoesNotContain(await AllValuesAsync(), v => v.Value.KeyId == key);
        Assert.NotNull(Services.GetRequiredService<DataKeyRing>());
    }
}

public sealed class SqliteReencryptionJobTests() : ReencryptionJobTests(DatabaseEngine.Sqlite);

public sealed class PostgresReencryptionJobTests() : ReencryptionJobTests(DatabaseEngine.Postgres);
