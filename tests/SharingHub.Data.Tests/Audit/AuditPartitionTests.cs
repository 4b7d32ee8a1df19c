using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Audit;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Audit;

/// <summary>On PostgreSQL the audit log is partitioned by month: entries land in their month's table, the coming months
/// are ready, and the log verifies across partitions as it did in one table.</summary>
public sealed class AuditPartitionTests() : DatabaseTest(DatabaseEngine.Postgres)
{
    private AuditWriter Writer => Services.GetRequiredService<AuditWriter>();

    private static AuditRecord Record(int i, DateTimeOffset at) => new(
        at, $"req-{i}", "police", $"user-{i % 3}", "s47-enquiry", null, "event.read", "success", "permit", false,
        [Guid.NewGuid()], ["health"], $$"""{"resources":[{"type":"event","id":"{{Guid.NewGuid()}}"}]}""");

    private static string Month(DateTimeOffset at) => $"AuditEntries_{at.UtcDateTime:yyyy_MM}";

    [Fact]
    public async Task Given_entries_appended_then_they_are_in_this_months_partition_the_next_months_are_ready_and_the_log_verifies()
    {
        var partitions = Services.GetRequiredService<AuditPartitions>();
        var now = DateTimeOffset.UtcNow;
        await Writer.StartAsync(CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Writer.AppendAsync(Record(i, now), CancellationToken.None)));
        // A clock years ahead: no month's partition takes it, the default one does, and the chain still holds.
        await Writer.AppendAsync(Record(50, now.AddYears(3)), CancellationToken.None);
        await Services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);

        var listed = (await partitions.ListAsync(CancellationToken.None)).ToDictionary(p => p.Name, p => p.Entries);

        Assert.Equal(50, listed[Month(now)]);
        Assert.Equal(1, listed["AuditEntries_default"]);
        for (var ahead = 1; ahead <= AuditPartitions.MonthsAhead; ahead++)
        {
            Assert.Equal(0, listed[Month(now.AddMonths(ahead))]);
        }
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var verification = AuditVerifier.Verify(await db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).ToListAsync(),
            await db.AuditCheckpoints.AsNoTracking().ToListAsync(), Services.GetRequiredService<AuditCheckpointer>().PublicKeys);
        Assert.True(verification.Ok, verification.Problem);
        Assert.Equal(51, verification.EntriesChecked);
    }

    [Fact]
    public async Task Given_proofs_made_then_their_statement_is_planned_once_per_connection_and_the_hubs_other_queries_plan_as_before()
    {
        var now = DateTimeOffset.UtcNow;
        await Writer.StartAsync(CancellationToken.None);
        for (var i = 0; i < 40; i++)
        {
            await Writer.AppendAsync(Record(i, now), CancellationToken.None);
        }
        var size = (await Services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None))!.TreeSize;
        var proofs = Services.GetRequiredService<AuditProofs>();
        for (var sequence = 1L; sequence <= size; sequence++)
        {
            Assert.NotNull(await proofs.InclusionAsync(sequence, size, CancellationToken.None));
        }

        // One at a time, the proofs' pool hands back its one connection, which holds the prepared statement and its plans.
        await using (var connection = await proofs.OpenPostgresAsync(CancellationToken.None))
        {
            await using var mode = connection.CreateCommand();
            mode.CommandText = "SHOW plan_cache_mode";
            Assert.Equal("force_generic_plan", await mode.ExecuteScalarAsync());
            await using var plans = connection.CreateCommand();
            plans.CommandText = """SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%"AuditNodes"%'""";
            await using var reader = await plans.ExecuteReaderAsync();
            var counted = new List<(long Generic, long Custom)>();
            while (await reader.ReadAsync())
            {
                counted.Add((reader.GetInt64(0), reader.GetInt64(1)));
            }
            Assert.NotEmpty(counted);
            Assert.True(counted.Sum(c => c.Generic) >= size - 1, $"generic plans: {counted.Sum(c => c.Generic)} for {size} proofs");
            Assert.Equal(0, counted.Sum(c => c.Custom));
        }
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        Assert.Equal("auto", await db.Database.SqlQuery<string>($"SELECT current_setting('plan_cache_mode') AS \"Value\"").SingleAsync());
    }

    [Theory]
    [InlineData("Host=db;Database=hub;Username=hub", "-c plan_cache_mode=force_generic_plan", AuditProofs.PostgresPoolSize)]
    [InlineData("Host=db;Database=hub;Username=hub;Options=-c statement_timeout=5000;Maximum Pool Size=50", "-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan", AuditProofs.PostgresPoolSize)]
    [InlineData("Host=db;Database=hub;Username=hub;Maximum Pool Size=4;Minimum Pool Size=8", "-c plan_cache_mode=force_generic_plan", 4)]
    public void Given_the_hubs_connection_string_then_the_proofs_keep_its_server_options_and_a_bounded_pool(string hub, string options, int pool)
    {
        var proofs = new Npgsql.NpgsqlConnectionStringBuilder(AuditProofs.ProofConnectionString(hub));

        Assert.Equal(options, proofs.Options);
        Assert.Equal(pool, proofs.MaxPoolSize);
        Assert.True(proofs.MinPoolSize <= proofs.MaxPoolSize);
        Assert.Equal("db", proofs.Host);
        Assert.Equal("hub", proofs.Database);
    }

    [Fact]
    public async Task Given_two_nodes_making_the_coming_months_partitions_at_once_then_both_succeed_and_each_month_has_one()
    {
        await using var other = await Database.StartServicesAsync();
        var made = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            (i % 2 == 0 ? Services : other).GetRequiredService<AuditPartitions>().EnsureAsync(CancellationToken.None)));

        Assert.All(made, m => Assert.Equal(AuditPartitions.MonthsAhead + 1, m.Count));
        var listed = await Services.GetRequiredService<AuditPartitions>().ListAsync(CancellationToken.None);
        Assert.Equal(listed.Count, listed.Select(p => p.Name).Distinct().Count());
        Assert.Contains(listed, p => p.Name == Month(DateTimeOffset.UtcNow.AddMonths(AuditPartitions.MonthsAhead)));
    }

    [Fact]
    public async Task Given_the_partitioned_log_then_its_table_is_partitioned_by_recorded_at()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var key = await db.Database.SqlQuery<string>($"""
            SELECT pg_get_partkeydef(to_regclass('"AuditEntries"')) AS "Value"
            """).SingleAsync();
        Assert.Equal("RANGE (\"RecordedAt\")", key);
    }

    [Fact]
    public async Task Given_entries_over_several_months_then_every_proof_verifies_also_for_entries_recorded_late_into_a_month_or_in_the_default_partition()
    {
        var now = DateTimeOffset.UtcNow;
        var (earlier, before) = (now.AddMonths(-3), now.AddMonths(-2));
        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            foreach (var month in new[] { earlier, before })
            {
                await db.Database.SqlQuery<string>($"SELECT sharinghub_audit_partition({month}) AS \"Value\"").SingleAsync();
            }
        }
        await Writer.StartAsync(CancellationToken.None);
        var i = 0;
        foreach (var at in new[] { earlier, before, now })
        {
            for (var k = 0; k < 20; k++)
            {
                await Writer.AppendAsync(Record(i++, at), CancellationToken.None);
            }
        }
        await ProveEveryEntryAsync(60);

        // After the months' ranges were read for those proofs: one entry recorded late into the earliest month, one with a
        // clock years ahead (the default partition), then this month's again. The ranges point elsewhere for the first two.
        await Writer.AppendAsync(Record(i++, earlier), CancellationToken.None);
        await Writer.AppendAsync(Record(i++, now.AddYears(3)), CancellationToken.None);
        for (var k = 0; k < 5; k++)
        {
            await Writer.AppendAsync(Record(i++, now), CancellationToken.None);
        }
        await ProveEveryEntryAsync(67);
        var listed = (await Services.GetRequiredService<AuditPartitions>().ListAsync(CancellationToken.None)).ToDictionary(p => p.Name, p => p.Entries);
        Assert.Equal(21, listed[Month(earlier)]);
        Assert.Equal(1, listed["AuditEntries_default"]);
    }

    private async Task ProveEveryEntryAsync(long size)
    {
        var checkpoint = await Services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);
        Assert.Equal(size, checkpoint!.TreeSize);
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var leaves = await db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).Select(a => a.EntryHash).ToListAsync();
        var proofs = Services.GetRequiredService<AuditProofs>();
        for (var sequence = 1L; sequence <= size; sequence++)
        {
            var proof = await proofs.InclusionAsync(sequence, size, CancellationToken.None);
            Assert.True(MerkleTree.VerifyInclusion(leaves[(int)sequence - 1], sequence - 1, size, proof!, checkpoint.RootHash), $"entry {sequence} of {size}");
        }
        Assert.Equal(checkpoint.RootHash, MerkleTree.Root(leaves));
        for (var first = 1; first < size; first++)
        {
            var proof = await proofs.ConsistencyAsync(first, size, CancellationToken.None);
            Assert.True(MerkleTree.VerifyConsistency(first, size, MerkleTree.Root(leaves.Take(first).ToList()), checkpoint.RootHash, proof!), $"{first} to {size}");
        }
    }
}
