using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Audit;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Audit;

/// <summary>The audit log's guarantees, on each engine: contiguous, chained, checkpointed, and every tampering detected.</summary>
public abstract class AuditLogTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private AuditWriter Writer => Services.GetRequiredService<AuditWriter>();
    private AuditCheckpointer Checkpointer => Services.GetRequiredService<AuditCheckpointer>();

    protected static AuditRecord Record(int i, string agency = "police") => new(
        DateTimeOffset.UtcNow, $"req-{i}", agency, $"user-{i % 3}", "s47-enquiry", null, "event.read", "success", "permit", false,
        [Guid.NewGuid()], ["health"], $$"""{"resources":[{"type":"event","id":"{{Guid.NewGuid()}}"}],"rules":["macpt.health-clinical"]}""");

    private async Task AppendAsync(int count)
    {
        await Writer.StartAsync(CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => Writer.AppendAsync(Record(i), CancellationToken.None)));
    }

    /// <summary>The stored log verified as `sharinghub audit verify` does it: the stored bytes, then the columns against them.</summary>
    protected Task<AuditVerification> VerifyAsync(bool logOnly = false) =>
        StoredAuditLog.VerifyAsync(Services.GetRequiredService<IHubDbContextFactory>(), [], Checkpointer.PublicKeys, CancellationToken.None, logOnly);

    protected async Task ExecuteAsync(string sql)
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    [Fact]
    public async Task Given_many_concurrent_appends_then_the_log_is_contiguous_chained_and_verifies_against_a_signed_checkpoint()
    {
        await AppendAsync(300);
        var checkpoint = await Checkpointer.CheckpointNowAsync(CancellationToken.None);

        var result = await VerifyAsync();

        Assert.True(result.Ok, result.Problem);
        Assert.Equal(300, result.EntriesChecked);
        Assert.Equal(300, checkpoint!.TreeSize);
        Assert.True(result.CheckpointsChecked >= 1);
    }

    [Fact]
    public async Task Given_two_writers_on_one_database_appending_at_once_then_the_log_never_forks_and_has_no_gap()
    {
        await using var other = await Database.StartServicesAsync();
        var second = other.GetRequiredService<AuditWriter>();
        await Writer.StartAsync(CancellationToken.None);
        await second.StartAsync(CancellationToken.None);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? Writer : second).AppendAsync(Record(i), CancellationToken.None)));
        await Checkpointer.CheckpointNowAsync(CancellationToken.None);

        var result = await VerifyAsync();
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(200, result.EntriesChecked);
        await second.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Given_an_entry_altered_in_the_database_then_verification_names_it()
    {
        await AppendAsync(50);
        await ExecuteAsync("""UPDATE "AuditEntries" SET "Outcome" = 'denied' WHERE "Sequence" = 17""");
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Equal(17, result.FirstBadSequence);
    }

    [Fact]
    public async Task Given_a_column_edited_and_the_stored_bytes_left_then_verification_names_the_entry_whose_index_lies()
    {
        await AppendAsync(30);
        var intact = await VerifyAsync();
        Assert.True(intact.Ok, intact.Problem);

        // "Who has seen this child" reads the Subjects column: emptying it would hide the reader without touching the hash.
        await ExecuteAsync("""UPDATE "AuditEntries" SET "Subjects" = '|' WHERE "Sequence" = 9""");
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Equal(9, result.FirstBadSequence);
        Assert.Equal(AuditVerifier.ColumnsAltered(9), result.Problem);
        // The log alone (--log-only) still holds: what the hashes and checkpoints cover was not touched.
        Assert.True((await VerifyAsync(logOnly: true)).Ok);
    }

    [Fact]
    public async Task Given_one_entrys_stored_bytes_replaced_by_the_nexts_then_verification_names_it()
    {
        await AppendAsync(20);
        await ExecuteAsync("""UPDATE "AuditEntries" SET "Canonical" = (SELECT "Canonical" FROM "AuditEntries" WHERE "Sequence" = 6) WHERE "Sequence" = 5""");
        await AssertBothWaysNameAsync(5, "another position or predecessor");
    }

    /// <summary>Both ways `audit verify` runs (whole, and --log-only) name the same first bad entry and why.</summary>
    private async Task AssertBothWaysNameAsync(long sequence, string problem)
    {
        foreach (var logOnly in new[] { false, true })
        {
            var result = await VerifyAsync(logOnly);
            Assert.False(result.Ok);
            Assert.Equal(sequence, result.FirstBadSequence);
            Assert.Contains(problem, result.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Given_entries_written_before_their_bytes_were_kept_then_they_verify_from_their_columns_and_an_edit_among_them_is_caught()
    {
        await AppendAsync(5_000);
        await ExecuteAsync("""UPDATE "AuditEntries" SET "Canonical" = NULL WHERE "Sequence" <= 4500""");
        foreach (var logOnly in new[] { false, true })
        {
            var mixed = await VerifyAsync(logOnly);
            Assert.True(mixed.Ok, mixed.Problem);
            Assert.Equal(5_000, mixed.EntriesChecked);
        }

        await ExecuteAsync("""UPDATE "AuditEntries" SET "Actor" = 'someone-else' WHERE "Sequence" = 4321""");
        await AssertBothWaysNameAsync(4321, "entry 4321 was altered after it was written");
    }

    [Fact]
    public async Task Given_an_entry_deleted_then_verification_names_the_missing_sequence()
    {
        await AppendAsync(40);
        await ExecuteAsync("""DELETE FROM "AuditEntries" WHERE "Sequence" = 23""");
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Equal(23, result.FirstBadSequence);
    }

    [Fact]
    public async Task Given_two_entries_swapped_then_verification_names_the_first()
    {
        await AppendAsync(30);
        await ExecuteAsync("""UPDATE "AuditEntries" SET "Sequence" = -1 WHERE "Sequence" = 10""");
        await ExecuteAsync("""UPDATE "AuditEntries" SET "Sequence" = 10 WHERE "Sequence" = 11""");
        await ExecuteAsync("""UPDATE "AuditEntries" SET "Sequence" = 11 WHERE "Sequence" = -1""");
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Equal(10, result.FirstBadSequence);
    }

    [Fact]
    public async Task Given_the_tail_truncated_after_a_signed_checkpoint_then_truncation_is_caught()
    {
        await AppendAsync(60);
        await Checkpointer.CheckpointNowAsync(CancellationToken.None);
        await ExecuteAsync("""DELETE FROM "AuditEntries" WHERE "Sequence" > 45""");
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Equal(46, result.FirstBadSequence);
        Assert.Contains("truncated", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_entries_rewritten_with_recomputed_hashes_then_the_signed_checkpoint_still_catches_it()
    {
        await AppendAsync(20);
        await Checkpointer.CheckpointNowAsync(CancellationToken.None);
        // A careful attacker rewrites entry 12 and re-chains everything after it.
        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            var entries = await db.AuditEntries.Where(a => a.Sequence >= 12).OrderBy(a => a.Sequence).ToListAsync();
            var previous = (await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Sequence == 11)).EntryHash;
            foreach (var entry in entries)
            {
                if (entry.Sequence == 12)
                {
                    entry.Actor = "someone-else";
                }
                entry.PreviousHash = previous;
                entry.Canonical = AuditHashing.Canonical(entry);
                entry.EntryHash = MerkleTree.LeafHash(entry.Canonical);
                previous = entry.EntryHash;
            }
            await db.SaveChangesAsync();
        }
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        // Every entry matches its own hash, so the verifier can only say the damage lies after the last checkpoint that holds.
        Assert.InRange(result.FirstBadSequence!.Value, 1, 12);
        Assert.Contains("signed checkpoint", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_acknowledged_entries_and_no_timed_checkpoint_then_the_last_one_is_under_a_signature_and_rewriting_it_is_caught()
    {
        // No CheckpointNowAsync: every acknowledged entry must already be covered by its batch's checkpoint.
        await AppendAsync(30);
        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            Assert.Equal(30, await db.AuditCheckpoints.MaxAsync(c => c.TreeSize));
            var last = await db.AuditEntries.SingleAsync(a => a.Sequence == 30);
            last.Actor = "someone-else";
            last.Canonical = AuditHashing.Canonical(last);
            last.EntryHash = MerkleTree.LeafHash(last.Canonical);
            await db.SaveChangesAsync();
        }
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Contains("signed checkpoint", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_last_acknowledged_entries_dropped_then_verification_says_the_log_was_truncated()
    {
        await AppendAsync(30);
        await ExecuteAsync("""DELETE FROM "AuditEntries" WHERE "Sequence" > 28""");
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Contains("truncated", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_checkpoint_signature_forged_then_verification_refuses_it()
    {
        await AppendAsync(5);
        await Checkpointer.CheckpointNowAsync(CancellationToken.None);
        // Keep only the latest checkpoint (the writer may have signed earlier ones) and claim it covers fewer entries.
        await ExecuteAsync("""DELETE FROM "AuditCheckpoints" WHERE "TreeSize" < 5""");
        await ExecuteAsync("""UPDATE "AuditCheckpoints" SET "TreeSize" = 4""");
        var result = await VerifyAsync();
        Assert.False(result.Ok);
        Assert.Contains("not signed", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_audit_store_broken_when_appending_then_the_append_fails_rather_than_pretending()
    {
        await Writer.StartAsync(CancellationToken.None);
        await Writer.AppendAsync(Record(1), CancellationToken.None);
        await ExecuteAsync("""ALTER TABLE "AuditEntries" RENAME TO "AuditEntriesGone" """);

        await Assert.ThrowsAsync<AuditUnavailableException>(() => Writer.AppendAsync(Record(2), CancellationToken.None));
    }

    [Fact]
    public async Task Given_an_exported_log_then_it_verifies_away_from_the_hub_and_an_edited_line_is_caught()
    {
        await AppendAsync(25);
        await Checkpointer.CheckpointNowAsync(CancellationToken.None);
        var export = new StringWriter();
        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            AuditExport.Write(export, db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).ToList(), await db.AuditCheckpoints.AsNoTracking().ToListAsync());
        }
        var text = export.ToString();

        var checkpoints = new List<SharingHub.Core.Records.AuditCheckpoint>();
        var entries = AuditExport.ReadEntries(new StringReader(text), checkpoints).ToList();
        Assert.True(AuditVerifier.Verify(entries, checkpoints, Checkpointer.PublicKeys).Ok);

        var lines = text.Split('\n');
        lines[14] = lines[14].Replace("\"Outcome\":\"success\"", "\"Outcome\":\"denied\"", StringComparison.Ordinal);
        var edited = new List<SharingHub.Core.Records.AuditCheckpoint>();
        var result = AuditVerifier.Verify(AuditExport.ReadEntries(new StringReader(string.Join('\n', lines)), edited).ToList(), edited, Checkpointer.PublicKeys);
        Assert.False(result.Ok);
        Assert.Equal(15, result.FirstBadSequence);
        // Each line carries the bytes its hash covers, so the edited field is named as a field that no longer matches them.
        Assert.Equal(AuditVerifier.ColumnsAltered(15), result.Problem);
        Assert.All(entries, e => Assert.NotNull(e.Canonical));

        // An export made before entries kept their bytes has none: it verifies from the fields, and the edit is still caught.
        var older = string.Join('\n', text.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Replace(l, ",\"Canonical\":\"[^\"]*\"", "")));
        var olderCheckpoints = new List<SharingHub.Core.Records.AuditCheckpoint>();
        var olderEntries = AuditExport.ReadEntries(new StringReader(older), olderCheckpoints).ToList();
        Assert.All(olderEntries, e => Assert.Null(e.Canonical));
        Assert.True(AuditVerifier.Verify(olderEntries, olderCheckpoints, Checkpointer.PublicKeys).Ok);
    }

    [Fact]
    public async Task Given_proofs_from_the_store_then_they_verify_against_the_signed_root()
    {
        await AppendAsync(37);
        var checkpoint = await Checkpointer.CheckpointNowAsync(CancellationToken.None);
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var leaf = (await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Sequence == 9)).EntryHash;
        var proofs = Services.GetRequiredService<AuditProofs>();

        var inclusion = await proofs.InclusionAsync(9, 37, CancellationToken.None);

        Assert.True(MerkleTree.VerifyInclusion(leaf, 8, 37, inclusion!, checkpoint!.RootHash));
        Assert.Null(await proofs.InclusionAsync(9, 38, CancellationToken.None));

        await AppendAsync(30);
        var later = await Checkpointer.CheckpointNowAsync(CancellationToken.None);
        var consistency = await proofs.ConsistencyAsync(37, later!.TreeSize, CancellationToken.None);
        Assert.True(MerkleTree.VerifyConsistency(37, later.TreeSize, checkpoint.RootHash, later.RootHash, consistency!));
        var mutated = consistency!.Select((h, i) => i == 0 ? h.Select(b => (byte)(b ^ 0x80)).ToArray() : h).ToList();
        Assert.False(MerkleTree.VerifyConsistency(37, later.TreeSize, checkpoint.RootHash, later.RootHash, mutated));
    }

    [Fact]
    public async Task Given_a_log_whose_subtrees_were_not_all_stored_then_a_hub_starting_on_it_stores_the_missing_ones_and_every_proof_verifies()
    {
        await AppendAsync(45);
        await Writer.StopAsync(CancellationToken.None);
        // As a log written before each batch kept the subtrees it closes (the hub stopped before its checkpointer's pass).
        await ExecuteAsync("""DELETE FROM "AuditNodes" WHERE "Level" IN (1, 3)""");
        await using var restarted = await Database.StartServicesAsync();
        var proofs = restarted.GetRequiredService<AuditProofs>();

        var checkpoint = await restarted.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);

        Assert.Equal(45, checkpoint!.TreeSize);
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        // 45 is 101101 in binary: a tree of 45 leaves has 45 - 4 complete subtrees above its leaves.
        Assert.Equal(41, await db.AuditNodes.CountAsync());
        var leaves = await db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).Select(a => a.EntryHash).ToListAsync();
        for (var sequence = 1; sequence <= 45; sequence++)
        {
            var inclusion = await proofs.InclusionAsync(sequence, 45, CancellationToken.None);
            Assert.True(MerkleTree.VerifyInclusion(leaves[sequence - 1], sequence - 1, 45, inclusion!, checkpoint.RootHash), $"inclusion of {sequence}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Given_a_hub_restarted_on_a_log_then_it_goes_on_appending_onto_the_same_tree_whether_its_edge_comes_from_the_stored_subtrees_or_the_entries(bool subtreesMissing)
    {
        await AppendAsync(45);
        await Writer.StopAsync(CancellationToken.None);
        if (subtreesMissing)
        {
            // The edge of 45 (101101) needs the subtrees at levels 5, 3 and 2 and the last entry: without level 3 it is built from the entries.
            await ExecuteAsync("""DELETE FROM "AuditNodes" WHERE "Level" = 3""");
        }
        await using var restarted = await Database.StartServicesAsync();
        var writer = restarted.GetRequiredService<AuditWriter>();
        await writer.StartAsync(CancellationToken.None);

        // Two rounds, so at least two of the restarted writer's batches each sign a checkpoint over the tree they extend.
        await Task.WhenAll(Enumerable.Range(100, 10).Select(i => writer.AppendAsync(Record(i), CancellationToken.None)));
        await Task.WhenAll(Enumerable.Range(110, 10).Select(i => writer.AppendAsync(Record(i), CancellationToken.None)));
        var checkpoint = await restarted.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        // Every checkpoint the restarted hub signed (one in each of its batches, and this one) is over the same tree as the entries.
        var result = await VerifyAsync();
        Assert.True(result.Ok, result.Problem);
        Assert.Equal((65, 65L), (result.EntriesChecked, checkpoint!.TreeSize));
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        Assert.True(await db.AuditCheckpoints.CountAsync(c => c.TreeSize > 45) >= 2);
        Assert.Equal(65 - 2, await db.AuditNodes.CountAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Given_the_checkpointer_catching_up_on_entries_since_its_last_pass_then_it_signs_the_trees_root_whether_the_subtrees_it_reads_are_all_stored_or_not(bool subtreeMissing)
    {
        await AppendAsync(10);
        Assert.Equal(10, (await Checkpointer.CheckpointNowAsync(CancellationToken.None))!.TreeSize);
        await AppendAsync(35);
        if (subtreeMissing)
        {
            // The edge of 45 (101101) needs the subtree at level 3 (entries 33-40): without it the pass reads the entries since 10.
            await ExecuteAsync("""DELETE FROM "AuditNodes" WHERE "Level" = 3 AND "NodeIndex" = 4""");
        }

        var checkpoint = await Checkpointer.CheckpointNowAsync(CancellationToken.None);

        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var leaves = await db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).Select(a => a.EntryHash).ToListAsync();
        Assert.Equal(45, checkpoint!.TreeSize);
        Assert.Equal(Convert.ToHexString(MerkleTree.Root(leaves)), Convert.ToHexString(checkpoint.RootHash));
        var result = await VerifyAsync();
        Assert.True(result.Ok, result.Problem);
    }

    [Fact]
    public async Task Given_a_log_then_its_trees_edge_read_from_the_stored_subtrees_gives_its_root_at_every_size_and_nothing_when_one_is_missing()
    {
        await AppendAsync(45);
        await Writer.StopAsync(CancellationToken.None);
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var leaves = await db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).Select(a => a.EntryHash).ToListAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();

        for (var size = 1; size <= 45; size++)
        {
            // Read in one statement (the one proofs use), not built from the entries: the root of the tree over the first `size` entries.
            var edge = await AuditTreeEdge.ReadAsync(connection, null, size, CancellationToken.None);
            Assert.NotNull(edge);
            Assert.Equal(Convert.ToHexString(MerkleTree.Root(leaves.Take(size).ToList())), Convert.ToHexString(edge!.Root()));
        }
        await ExecuteAsync("""DELETE FROM "AuditNodes" WHERE "Level" = 3""");
        // 45 (101101) needs the subtree at level 3; 39 (100111) does not.
        Assert.Null(await AuditTreeEdge.ReadAsync(connection, null, 45, CancellationToken.None));
        Assert.NotNull(await AuditTreeEdge.ReadAsync(connection, null, 39, CancellationToken.None));
    }

    [Fact]
    public async Task Given_the_trees_upper_levels_kept_in_memory_while_the_log_grows_then_every_proof_still_verifies_against_its_signed_root()
    {
        var proofs = Services.GetRequiredService<AuditProofs>();
        // Room for 16 subtrees: the kept levels start at 3 for 37 entries, take the subtrees stored as the log grows to 67,
        // and move up to level 5 when it reaches 150 (read again then).
        proofs.UpperCapacity = 16;
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var roots = new Dictionary<long, byte[]>();

        async Task ProveAllAsync(long size)
        {
            var leaves = await db.AuditEntries.AsNoTracking().Where(a => a.Sequence <= size).OrderBy(a => a.Sequence).Select(a => a.EntryHash).ToListAsync();
            for (var sequence = 1; sequence <= size; sequence++)
            {
                var inclusion = await proofs.InclusionAsync(sequence, size, CancellationToken.None);
                Assert.True(MerkleTree.VerifyInclusion(leaves[sequence - 1], sequence - 1, size, inclusion!, roots[size]), $"inclusion of {sequence} in {size}");
            }
            foreach (var (earlier, root) in roots.Where(r => r.Key < size))
            {
                var consistency = await proofs.ConsistencyAsync(earlier, size, CancellationToken.None);
                Assert.True(MerkleTree.VerifyConsistency(earlier, size, root, roots[size], consistency!), $"consistency of {earlier} with {size}");
            }
        }

        foreach (var (size, lowest) in new[] { (37L, 3), (67L, 3), (150L, 5) })
        {
            await AppendAsync((int)(size - roots.Keys.DefaultIfEmpty(0).Max()));
            var checkpoint = await Checkpointer.CheckpointNowAsync(CancellationToken.None);
            Assert.Equal(size, checkpoint!.TreeSize);
            roots[size] = checkpoint.RootHash;
            await ProveAllAsync(size);
            Assert.Equal(lowest, proofs.UpperLowest);
        }
    }

    [Fact]
    public async Task Given_the_signing_key_cannot_be_made_at_first_then_those_appends_fail_closed_and_the_next_one_signs_once_it_can()
    {
        // The key file's folder cannot be made (a file is in its place), as when its disk is full or not yet mounted.
        var options = Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuditOptions>>().Value;
        var blocked = Path.Combine(Path.GetDirectoryName(options.SigningKeyPath)!, "keys-not-yet");
        await File.WriteAllTextAsync(blocked, "");
        options.SigningKeyPath = Path.Combine(blocked, "audit-signing-keys.json");
        await Writer.StartAsync(CancellationToken.None);

        await Assert.ThrowsAsync<AuditUnavailableException>(() => Writer.AppendAsync(Record(1), CancellationToken.None));
        await Assert.ThrowsAsync<AuditUnavailableException>(() => Writer.AppendAsync(Record(2), CancellationToken.None));

        // The cause goes: the next append makes the key and commits, signed, with no restart; nothing of the failed ones was kept.
        File.Delete(blocked);
        var sequence = await Writer.AppendAsync(Record(3), CancellationToken.None);
        Assert.Equal(1, sequence);
        Assert.True(File.Exists(options.SigningKeyPath));
        var verified = await VerifyAsync();
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(1, verified.LatestCheckpointSize);
    }

    [Fact]
    public async Task Given_something_listening_to_the_hubs_spans_then_a_callers_wait_for_its_entry_is_reported_step_by_step_inside_its_own_span()
    {
        await Writer.StartAsync(CancellationToken.None);
        using var spans = new HubSpans();
        var seen = spans.Seen;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        string waitId;
        using (var wait = Core.Telemetry.HubDiagnostics.Source.StartActivity("audit.wait"))
        {
            waitId = wait!.Id!;
            await Writer.AppendAsync(Record(1), CancellationToken.None);
        }
        var waited = clock.Elapsed;

        var steps = seen.Where(a => a.ParentId == waitId).ToDictionary(a => a.OperationName, a => a.Duration);
        // The queue, then the batch's steps in order; each batch is signed by default. On PostgreSQL the inserts go with the
        // commit, in one round trip, and are reported in its step; SQLite reports its write lock apart from the tail.
        Assert.Equal(Engine == DatabaseEngine.Postgres
                ? ["audit.wait.chain", "audit.wait.flush", "audit.wait.gate", "audit.wait.queued", "audit.wait.sign", "audit.wait.tail"]
                : ["audit.wait.chain", "audit.wait.flush", "audit.wait.gate", "audit.wait.insert", "audit.wait.lock", "audit.wait.queued", "audit.wait.sign", "audit.wait.tail"],
            steps.Keys.Order(StringComparer.Ordinal));
        Assert.All(steps.Values, d => Assert.True(d >= TimeSpan.Zero));
        Assert.True(steps["audit.wait.flush"] > TimeSpan.Zero, "the commit takes time");
        // They happened inside the caller's wait, one after another.
        Assert.True(steps.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b) <= waited, $"steps {string.Join(", ", steps)} exceed the wait {waited}");
    }

    [Fact]
    public async Task Given_something_listening_to_the_hubs_metrics_then_each_batch_reports_its_entries_and_each_steps_time()
    {
        await Writer.StartAsync(CancellationToken.None);
        var entries = new List<int>();
        var steps = new Dictionary<string, int>(StringComparer.Ordinal);
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Core.Telemetry.HubDiagnostics.Name && instrument.Name.StartsWith("sharinghub.audit.batch.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => { lock (entries) { entries.Add(value); } });
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            Assert.True(seconds >= 0);
            foreach (var tag in tags)
            {
                lock (steps)
                {
                    steps[$"{tag.Key}={tag.Value}"] = steps.GetValueOrDefault($"{tag.Key}={tag.Value}") + 1;
                }
            }
        });
        listener.Start();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Writer.AppendAsync(Record(i), CancellationToken.None)));

        // Other tests' writers in this process report too: at least these 20 entries, in batches of at most MaxBatch each.
        lock (entries)
        {
            Assert.True(entries.Sum() >= 20, $"entries reported: {entries.Sum()}");
            Assert.All(entries, e => Assert.InRange(e, 1, Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuditOptions>>().Value.MaxBatch));
        }
        lock (steps)
        {
            foreach (var step in Engine == DatabaseEngine.Postgres ? new[] { "gate", "tail", "chain", "sign", "flush" } : ["gate", "lock", "tail", "chain", "sign", "insert", "flush"])
            {
                Assert.True(steps.GetValueOrDefault("step=" + step) >= 1, $"step {step} not reported: {string.Join(", ", steps.Keys)}");
            }
        }
    }
}

public sealed class SqliteAuditLogTests() : AuditLogTests(DatabaseEngine.Sqlite);

public sealed class PostgresAuditLogTests() : AuditLogTests(DatabaseEngine.Postgres)
{
    [Fact]
    public async Task Given_a_batch_on_PostgreSQL_then_it_takes_the_writers_lock_reads_the_tail_and_stores_entries_checkpoint_and_subtrees_and_commits_in_two_round_trips()
    {
        var writer = Services.GetRequiredService<AuditWriter>();
        await writer.WriteBatchAsync([Record(0)]);
        // Only the statements sent inside this test's own span: other tests run in parallel and use Npgsql too.
        using var source = new System.Diagnostics.ActivitySource("SharingHub.Tests.AuditRoundTrips");
        var statements = new List<string>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == "Npgsql" || s == source,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        IReadOnlyList<long> sequences;
        using (var batch = source.StartActivity("one batch"))
        {
            listener.ActivityStopped = a =>
            {
                if (a.Source.Name == "Npgsql" && a.ParentId == batch!.Id)
                {
                    lock (statements)
                    {
                        statements.Add(a.GetTagItem("db.query.text") as string ?? a.GetTagItem("db.statement") as string ?? a.DisplayName);
                    }
                }
            };
            // Entries 2-4: the batch closes subtrees (level 1 at 2 and 4, level 2 at 4), so all three kinds of row are written.
            sequences = await writer.WriteBatchAsync([Record(1), Record(2), Record(3)]);
        }

        Assert.Equal([2L, 3L, 4L], sequences);
        Assert.True(statements.Count == 2, $"round trips: {string.Join(" | ", statements)}");
        Assert.Contains("pg_advisory_xact_lock", statements[0], StringComparison.Ordinal);
        Assert.Contains("AuditEntries", statements[1], StringComparison.Ordinal);
        Assert.Contains("AuditCheckpoints", statements[1], StringComparison.Ordinal);
        Assert.Contains("AuditNodes", statements[1], StringComparison.Ordinal);
        Assert.EndsWith("COMMIT", statements[1].TrimEnd(), StringComparison.Ordinal);
        listener.Dispose();
        // And what was stored in those round trips is a whole, verifiable log.
        var verified = await VerifyAsync();
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(4, verified.EntriesChecked);
        Assert.Equal(4, verified.LatestCheckpointSize);
    }

    [Fact]
    public async Task Given_a_batch_that_fails_in_the_round_trip_that_commits_it_then_none_of_it_is_stored_and_the_next_batch_and_the_hubs_other_queries_go_on()
    {
        var writer = Services.GetRequiredService<AuditWriter>();
        await writer.WriteBatchAsync([Record(0), Record(1)]);
        // The batch's entries go in before its checkpoint, in the same round trip as the COMMIT; the checkpoint is refused.
        await ExecuteAsync("""ALTER TABLE "AuditCheckpoints" ADD CONSTRAINT "refused" CHECK (false) NOT VALID""");

        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => writer.WriteBatchAsync([Record(2), Record(3), Record(4)]));

        // The failed transaction was rolled back, not left open on a connection the pool hands out again: the hub's own
        // queries, on every connection of a small pool, see the two entries and nothing of the failed batch.
        await ExecuteAsync("""ALTER TABLE "AuditCheckpoints" DROP CONSTRAINT "refused" """);
        var factory = Services.GetRequiredService<IHubDbContextFactory>();
        var counts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var db = factory.Create();
            return await db.AuditEntries.CountAsync();
        }));
        Assert.All(counts, c => Assert.Equal(2, c));
        Assert.Equal([3L, 4L], await writer.WriteBatchAsync([Record(5), Record(6)]));
        var verified = await VerifyAsync();
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal((4, 4L), (verified.EntriesChecked, verified.LatestCheckpointSize));
    }
}
