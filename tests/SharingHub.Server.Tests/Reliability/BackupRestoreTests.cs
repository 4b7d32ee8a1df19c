using System.Net;
using System.Text;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Backup;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>
/// An operator backs up a running hub with <c>sharinghub backup</c> while practitioners keep writing and reading, and restores
/// it on a fresh folder (or database) with <c>sharinghub restore</c>: every record reads back, the audit log verifies against a
/// checkpoint kept elsewhere from before the backup, and a backup taken without its key ring is useless to whoever steals it.
/// </summary>
public abstract class BackupRestoreTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const string Family = "Quillfeather";
    private FhirTestHub _hub = null!;
    private CaseRecords _case = null!;
    private string _elsewhere = null!;

    public async Task InitializeAsync()
    {
        _hub = await FhirTestHub.StartAsync(engine);
        _case = await _hub.CaseAsync(Family);
        _elsewhere = Path.Combine(_hub.Database.Folder, "elsewhere");
        Directory.CreateDirectory(_elsewhere);
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private string ChronologyPath => $"/fhir/Patient/{_case.LaChild.Id}/$chronology";

    private static async Task<List<string>> EntriesAsync(FhirTestHub hub, string path, Guid enquiry)
    {
        using var response = await hub.GetAsync(path, "demo-la-lcpp", "s47-enquiry", enquiry);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = await FhirTestHub.JsonAsync(response);
        return bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetRawText()).ToList();
    }

    [Fact]
    public async Task Given_a_hub_under_writes_and_reads_when_backed_up_and_restored_on_a_fresh_database_then_every_record_reads_back_and_the_audit_verifies()
    {
        var before = await EntriesAsync(_hub, ChronologyPath, _case.Enquiry.Id);
        using (var checkpoint = await _hub.GetAsync("/audit/checkpoint", "demo-la-ig"))
        {
            Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
            await File.WriteAllTextAsync(Path.Combine(_elsewhere, "checkpoint.json"), await checkpoint.Content.ReadAsStringAsync());
        }

        // Practitioners carry on while the backup runs: visits recorded, the chronology read (each read is an audit entry).
        using var stop = new CancellationTokenSource();
        var acknowledged = new List<Guid>();
        var load = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var visit = await _hub.Store.AddAsync(_hub.Builder.Event(_case.LaChild, "la", $"Visit during backup {i}", DateTimeOffset.UtcNow.AddDays(-1),
                    $"MOS-LOAD-{i}", "la.social-care", "Seen at home", "home-visit"), CancellationToken.None);
                lock (acknowledged)
                {
                    acknowledged.Add(visit.Id);
                }
                using var read = await _hub.GetAsync(ChronologyPath, "demo-la-lcpp", "s47-enquiry", _case.Enquiry.Id);
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }
        });
        while (!load.IsCompleted && Count(acknowledged) < 3)
        {
            await Task.Delay(20);
        }
        List<Guid> beforeBackup;
        lock (acknowledged)
        {
            beforeBackup = [.. acknowledged];
        }
        var backupFolder = Path.Combine(_hub.Database.Folder, "backup");
        var keysFolder = Path.Combine(_elsewhere, "keys");
        var backup = await HubCli.RunAsync(_hub.Database, "backup", "--out", backupFolder, "--key-ring-out", keysFolder);
        await stop.CancelAsync();
        await load;
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains(engine == DatabaseEngine.Sqlite ? "copying the database: 100%" : "dumping table", backup.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(backupFolder, "keyring.json")), "the key ring is never in the database backup");
        Assert.True(File.Exists(Path.Combine(keysFolder, "keyring.json")));

        await using var fresh = await TestDatabase.CreateAsync(engine);
        var restore = await HubCli.RunAsync(fresh, "restore", "--from", backupFolder, "--key-ring-from", keysFolder,
            "--checkpoint", Path.Combine(_elsewhere, "checkpoint.json"));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("every row came back", restore.Output, StringComparison.Ordinal);
        Assert.Contains("the audit log verifies", restore.Output, StringComparison.Ordinal);
        if (engine == DatabaseEngine.Postgres)
        {
            // Restored tables come with statistics, so the first queries are not planned for empty tables.
            Assert.Equal(0L, await UnanalysedTablesAsync(fresh.ConnectionString));
        }

        var verify = await HubCli.RunAsync(fresh, "audit", "verify", "--checkpoint", Path.Combine(_elsewhere, "checkpoint.json"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.StartsWith("intact", verify.Output, StringComparison.Ordinal);

        await using var restored = FhirTestHub.Over(fresh);
        var after = await EntriesAsync(restored, ChronologyPath, _case.Enquiry.Id);
        Assert.All(before, entry => Assert.Contains(entry, after));
        var afterText = string.Join("\n", after);
        Assert.All(beforeBackup, id => Assert.Contains(id.ToString(), afterText, StringComparison.Ordinal));
        Assert.Contains("Visit during backup 0", afterText, StringComparison.Ordinal);
    }

    /// <summary>The hub's tables PostgreSQL has no ANALYZE of (autovacuum's own, later, does not count).</summary>
    private static async Task<long> UnanalysedTablesAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NULL";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static int Count(List<Guid> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    [Fact]
    public async Task Given_a_backup_taken_without_its_key_ring_when_a_thief_restores_it_with_another_key_ring_then_nothing_is_readable_and_no_plaintext_is_in_it()
    {
        var backupFolder = Path.Combine(_hub.Database.Folder, "backup");
        var backup = await HubCli.RunAsync(_hub.Database, "backup", "--out", backupFolder);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("can be restored only with the key ring kept elsewhere", backup.Output, StringComparison.Ordinal);
        Assert.Equal(["hub." + (engine == DatabaseEngine.Sqlite ? "db" : "pgdump"), "manifest.json"],
            Directory.GetFiles(backupFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var manifest = BackupManifest.Read(backupFolder);
        var file = Path.Combine(backupFolder, manifest.DatabaseFile);
        var stored = engine == DatabaseEngine.Sqlite
            ? Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file))
            : await (await PostgresServer.GetAsync()).ArchiveAsSqlAsync(file);
        Assert.True(stored.Length > 10_000, "the backup holds the database");
        foreach (var plaintext in new[] { Family, "Home conditions poor", "Neighbour reported shouting", "9990000026" })
        {
            Assert.DoesNotContain(plaintext, stored, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(Family, await File.ReadAllTextAsync(Path.Combine(backupFolder, BackupManifest.FileName)), StringComparison.Ordinal);

        await using var thief = await TestDatabase.CreateAsync(engine);
        LocalKeyRing.OpenOrCreate(thief.KeyRingPath, passphrase: null);
        var restore = await HubCli.RunAsync(thief, "restore", "--from", backupFolder);
        Assert.Equal(1, restore.ExitCode);
        Assert.Contains("the key ring does not open", restore.Error, StringComparison.Ordinal);
        if (engine == DatabaseEngine.Sqlite)
        {
            Assert.False(await DatabaseBackup.HoldsTablesAsync(engine, thief.ConnectionString, CancellationToken.None), "a restore that did not verify is not put in place");
        }
        else
        {
            Assert.Contains("drop it before", restore.Error, StringComparison.Ordinal);
        }

        await using var noKeys = await TestDatabase.CreateAsync(engine);
        var withoutRing = await HubCli.RunAsync(noKeys, "restore", "--from", backupFolder);
        Assert.Equal(1, withoutRing.ExitCode);
        Assert.Contains("there is no key ring", withoutRing.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(noKeys.KeyRingPath), "a restore never makes a key ring of its own");
        Assert.False(await DatabaseBackup.HoldsTablesAsync(engine, noKeys.ConnectionString, CancellationToken.None));
    }

    [Fact]
    public async Task Given_a_damaged_backup_or_a_target_in_use_when_restored_then_the_restore_refuses_and_changes_nothing()
    {
        var backupFolder = Path.Combine(_hub.Database.Folder, "backup");
        var keysFolder = Path.Combine(_elsewhere, "keys");
        var backup = await HubCli.RunAsync(_hub.Database, "backup", "--out", backupFolder, "--key-ring-out", keysFolder);
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var again = await HubCli.RunAsync(_hub.Database, "backup", "--out", backupFolder);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not empty", again.Error, StringComparison.Ordinal);
        var inside = await HubCli.RunAsync(_hub.Database, "backup", "--out", Path.Combine(_elsewhere, "b"), "--key-ring-out", Path.Combine(_elsewhere, "b", "keys"));
        Assert.Equal(2, inside.ExitCode);
        Assert.Contains("must not be inside", inside.Error, StringComparison.Ordinal);

        // The hub's own database, in use, as the target: refused before anything is written.
        var before = await EntriesAsync(_hub, ChronologyPath, _case.Enquiry.Id);
        var over = await HubCli.RunAsync(_hub.Database, "restore", "--from", backupFolder);
        Assert.Equal(1, over.ExitCode);
        Assert.Contains("already holds tables", over.Error, StringComparison.Ordinal);
        Assert.Equal(before, await EntriesAsync(_hub, ChronologyPath, _case.Enquiry.Id));

        var manifest = BackupManifest.Read(backupFolder);
        var file = Path.Combine(backupFolder, manifest.DatabaseFile);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(file, bytes);
        await using var fresh = await TestDatabase.CreateAsync(engine);
        var damaged = await HubCli.RunAsync(fresh, "restore", "--from", backupFolder, "--key-ring-from", keysFolder);
        Assert.Equal(1, damaged.ExitCode);
        Assert.Contains("does not match its manifest", damaged.Error, StringComparison.Ordinal);
        Assert.False(await DatabaseBackup.HoldsTablesAsync(engine, fresh.ConnectionString, CancellationToken.None));

        await File.WriteAllTextAsync(Path.Combine(backupFolder, BackupManifest.FileName), "{ not json");
        var unreadable = await HubCli.RunAsync(fresh, "restore", "--from", backupFolder);
        Assert.Equal(1, unreadable.ExitCode);
        Assert.Contains("is not a backup manifest", unreadable.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unreadable.Error, StringComparison.Ordinal);
    }
}

public sealed class SqliteBackupRestoreTests() : BackupRestoreTests(DatabaseEngine.Sqlite);

public sealed class PostgresBackupRestoreTests() : BackupRestoreTests(DatabaseEngine.Postgres);
