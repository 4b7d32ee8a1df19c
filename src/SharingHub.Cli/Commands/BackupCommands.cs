using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Audit;
using SharingHub.Data.Backup;
using SharingHub.Data.Storage;

namespace SharingHub.Cli.Commands;

/// <summary>
/// <c>sharinghub backup</c> and <c>sharinghub restore</c>: an online backup of a running hub's database, and its key files
/// to a separate place; a restore into an empty database that shows, before the hub may use it, that every row came back,
/// that the key ring opens the data keys, and that the audit log verifies up to its last signed checkpoint (and one kept
/// elsewhere, when given).
/// </summary>
internal static class BackupCommands
{
    private const string KeyManifest = "keys.json";

    public static Command CreateBackup()
    {
        var output = new Option<string>("--out") { Description = "A new folder for the database backup (made readable by its owner only)", Required = true };
        var keysOut = new Option<string?>("--key-ring-out")
        {
            Description = "Also copy the key ring and signing key files to this folder: keep it on other media than the database backup, since the two together are everything",
        };
        var backup = new Command("backup", "Back up the database of a running hub (consistent snapshot, progress shown); with --key-ring-out, its keys to a separate place")
        {
            output, keysOut,
        };
        HubServices.AddTo(backup);
        backup.SetAction(async (parse, cancellationToken) =>
        {
            var console = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            var keyFolder = parse.GetValue(keysOut) is { } k ? Path.GetFullPath(k) : null;
            if (keyFolder is not null && IsWithin(keyFolder, folder))
            {
                await error.WriteLineAsync("--key-ring-out must not be inside --out: a database backup kept with its keys is readable by whoever takes it");
                return 2;
            }
            using var host = HubServices.Build(parse);
            var database = host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            try
            {
                var keyFiles = KeyFiles(host);
                if (keyFolder is not null && !File.Exists(keyFiles[0].Path))
                {
                    throw new BackupException($"there is no key ring at {keyFiles[0].Path} to back up");
                }
                var manifest = await DatabaseBackup.BackupAsync(database.Engine, database.ConnectionString, folder, new Lines(console), cancellationToken);
                await console.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"backed up {manifest.Engine} database to {folder}: {manifest.DatabaseBytes:N0} bytes, {manifest.Rows.Values.Sum():N0} rows in {manifest.Rows.Count} tables, " +
                    $"{manifest.Rows.GetValueOrDefault("AuditEntries"):N0} audit entries (signed checkpoint at {manifest.AuditCheckpointSize:N0})"));
                if (keyFolder is not null)
                {
                    var copied = CopyKeysOut(keyFiles, keyFolder);
                    await console.WriteLineAsync($"copied {copied} key file(s) to {keyFolder}: keep them apart from the database backup");
                }
                else
                {
                    await console.WriteLineAsync("the key ring was not copied (--key-ring-out): this backup can be restored only with the key ring kept elsewhere");
                }
                return 0;
            }
            catch (BackupException e)
            {
                await error.WriteLineAsync($"backup failed: {e.Message}");
                return 1;
            }
        });
        return backup;
    }

    public static Command CreateRestore()
    {
        var from = new Option<string>("--from") { Description = "The backup folder (made by sharinghub backup)", Required = true };
        var keysFrom = new Option<string?>("--key-ring-from") { Description = "The key files' backup folder (--key-ring-out of sharinghub backup), copied to where this hub's settings keep them" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A signed checkpoint kept elsewhere (JSON from /audit/checkpoint): the restored log must verify against it too" };
        var restore = new Command("restore",
            "Restore a backup into an empty database (the --engine/--connection/--key-ring of the hub that will use it): every row counted back, the key ring tried on every data key, the audit log verified, before the hub may use it")
        {
            from, keysFrom, checkpoint,
        };
        HubServices.AddTo(restore);
        restore.SetAction(async (parse, cancellationToken) =>
        {
            var console = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var folder = Path.GetFullPath(parse.GetValue(from)!);
            var progress = new Lines(console);
            using var target = HubServices.Build(parse);
            var database = target.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var external = new List<AuditCheckpoint>();
            if (parse.GetValue(checkpoint) is { } checkpointFile)
            {
                if (AuditCommands.ReadCheckpointFile(checkpointFile) is not { } outside)
                {
                    await error.WriteLineAsync($"{checkpointFile} is not a signed checkpoint as /audit/checkpoint publishes it (treeSize, rootHash, createdAt, keyId, signature)");
                    return 2;
                }
                external.Add(outside);
            }
            string? staging = null;
            var restored = false;
            try
            {
                var manifest = BackupManifest.Read(folder);
                progress.Report($"checking the backup made {manifest.CreatedAt:yyyy-MM-dd HH:mm:ss}Z by release {manifest.HubVersion}");
                DatabaseBackup.CheckIntact(manifest, folder);
                if (await DatabaseBackup.HoldsTablesAsync(database.Engine, database.ConnectionString, cancellationToken))
                {
                    throw new BackupException("the target database already holds tables: restore into a new, empty database (nothing was changed)");
                }
                var keyFiles = KeyFiles(target);
                if (parse.GetValue(keysFrom) is { } keyFolder)
                {
                    CopyKeysIn(Path.GetFullPath(keyFolder), keyFiles, progress);
                }
                else if (!File.Exists(keyFiles[0].Path))
                {
                    throw new BackupException($"there is no key ring at {keyFiles[0].Path}: give the key files' backup with --key-ring-from (without its key ring a backup cannot be read)");
                }
                if (manifest.AuditCheckpointSize > 0 && !File.Exists(keyFiles[1].Path))
                {
                    throw new BackupException($"there is no audit signing key file at {keyFiles[1].Path}: without it the log's signed checkpoints cannot be verified (give the key files' backup with --key-ring-from)");
                }
                var connection = database.ConnectionString;
                if (database.Engine == DatabaseEngine.Sqlite)
                {
                    staging = DatabaseBackup.StagingFileFor(database.ConnectionString);
                    connection = $"Data Source={staging};Pooling=false";
                }
                restored = true;
                await DatabaseBackup.RestoreAsync(manifest, folder, database.Engine, database.ConnectionString, staging, progress, cancellationToken);
                await VerifyAsync(parse, manifest, database.Engine, connection, external, progress, cancellationToken);
                if (staging is not null)
                {
                    DatabaseBackup.PlaceSqlite(staging, database.ConnectionString);
                    staging = null;
                }
                await console.WriteLineAsync(database.Engine == DatabaseEngine.Sqlite
                    ? $"restored to {DatabaseBackup.SqlitePath(database.ConnectionString)}; the hub can start on it"
                    : "restored; the hub can start on it");
                return 0;
            }
            catch (BackupException e)
            {
                await error.WriteLineAsync($"restore failed: {e.Message}");
                if (restored && database.Engine == DatabaseEngine.Postgres)
                {
                    await error.WriteLineAsync("the target database now holds what was restored, unverified: drop it before the hub or another restore uses it");
                }
                return 1;
            }
            finally
            {
                if (staging is not null)
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    foreach (var file in new[] { staging, staging + "-wal", staging + "-shm" })
                    {
                        File.Delete(file);
                    }
                }
            }
        });
        return restore;
    }

    /// <summary>Every check a restored database must pass before a hub may use it; the first that fails stops the restore.</summary>
    private static async Task VerifyAsync(ParseResult parse, BackupManifest manifest, DatabaseEngine engine, string connection, List<AuditCheckpoint> external,
        Lines progress, CancellationToken cancellationToken)
    {
        var (rows, _) = await DatabaseBackup.CountAsync(engine, connection, cancellationToken);
        var differ = manifest.Rows.Where(t => rows.GetValueOrDefault(t.Key, -1) != t.Value)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {rows.GetValueOrDefault(t.Key)} of {t.Value}")).ToList();
        if (differ.Count > 0)
        {
            throw new BackupException($"rows restored differ from the backup's: {string.Join(", ", differ)}");
        }
        progress.Report(string.Create(CultureInfo.InvariantCulture, $"every row came back: {rows.Values.Sum():N0} rows in {rows.Count} tables"));

        using var host = HubServices.Build(parse, new Dictionary<string, string?>
        {
            [$"{DatabaseOptions.Section}:Engine"] = engine.ToString(),
            [$"{DatabaseOptions.Section}:ConnectionString"] = connection,
        });
        await using (var db = host.Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            if (!db.Database.GetMigrations().Contains(manifest.LastMigration, StringComparer.Ordinal))
            {
                throw new BackupException($"the backup's schema ({manifest.LastMigration}) is newer than this release knows: restore it with release {manifest.HubVersion} or later");
            }
        }
        var applied = await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        if (applied.Count > 0)
        {
            progress.Report($"upgraded the schema from the backup's release: {string.Join(", ", applied)}");
        }

        var store = host.Services.GetRequiredService<IDataKeyStore>();
        var ring = host.Services.GetRequiredService<DataKeyRing>();
        var live = store.All().Where(k => k.DestroyedAt is null).ToList();
        var unreadable = live.Count(k => ring.Find(k.KeyId) is null);
        if (unreadable > 0)
        {
            throw new BackupException(string.Create(CultureInfo.InvariantCulture,
                $"the key ring does not open {unreadable} of the backup's {live.Count} data keys: it is not this hub's key ring (give the right one with --key-ring-from)"));
        }
        progress.Report(string.Create(CultureInfo.InvariantCulture, $"the key ring opens every one of {live.Count:N0} data keys"));

        var result = await AuditCommands.VerifyStoredAsync(host.Services, external, cancellationToken);
        if (!result.Ok)
        {
            throw new BackupException($"the restored audit log does not verify: first bad entry {result.FirstBadSequence}: {result.Problem}");
        }
        var covered = result.LatestCheckpointSize ?? 0;
        if (covered < manifest.AuditCheckpointSize || external.Any(c => c.TreeSize > result.EntriesChecked))
        {
            throw new BackupException(string.Create(CultureInfo.InvariantCulture,
                $"the restored audit log holds {result.EntriesChecked} entries; a signed checkpoint covers more: entries are missing"));
        }
        progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"the audit log verifies: {result.EntriesChecked:N0} entries, {result.CheckpointsChecked} signed checkpoints{(external.Count > 0 ? " (including the one kept elsewhere)" : "")}"));
    }

    private sealed record KeyFile(string Name, string Path);

    /// <summary>The key files as this hub's settings place them; the key ring first (it is the one without which nothing reads).</summary>
    private static List<KeyFile> KeyFiles(IHost host)
    {
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        return
        [
            new("keyring.json", Path.GetFullPath(host.Services.GetRequiredService<IOptions<LocalKeyRingOptions>>().Value.Path)),
            new("audit-signing-keys.json", Path.GetFullPath(host.Services.GetRequiredService<IOptions<AuditOptions>>().Value.SigningKeyPath)),
            new("signing-keys.json", Path.GetFullPath(configuration["SharingHub:Identity:SigningKeyPath"] ?? "data/signing-keys.json")),
        ];
    }

    private static int CopyKeysOut(List<KeyFile> files, string folder)
    {
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new BackupException($"{folder} is not empty: give each key backup a folder of its own");
        }
        BackupFiles.CreateOwnerOnlyFolder(folder);
        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files.Where(f => File.Exists(f.Path)))
        {
            var copy = Path.Combine(folder, file.Name);
            File.Copy(file.Path, copy);
            BackupFiles.OwnerOnly(copy);
            BackupFiles.Flush(copy);
            hashes[file.Name] = BackupFiles.Sha256(copy);
        }
        File.WriteAllText(Path.Combine(folder, KeyManifest), JsonSerializer.Serialize(new { createdAt = DateTimeOffset.UtcNow, sha256 = hashes }));
        BackupFiles.FlushFolder(folder);
        return hashes.Count;
    }

    /// <summary>Puts the key files where this hub keeps them; a different file already there is never overwritten.</summary>
    private static void CopyKeysIn(string folder, List<KeyFile> files, Lines progress)
    {
        Dictionary<string, string> hashes;
        try
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, KeyManifest)));
            hashes = manifest.RootElement.GetProperty("sha256").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BackupException($"{folder} is not a key backup made by sharinghub backup --key-ring-out (its {KeyManifest} is missing or unreadable)");
        }
        if (!hashes.ContainsKey(files[0].Name))
        {
            throw new BackupException($"{folder} holds no key ring");
        }
        foreach (var file in files.Where(f => hashes.ContainsKey(f.Name)))
        {
            var source = Path.Combine(folder, file.Name);
            if (!File.Exists(source) || BackupFiles.Sha256(source) != hashes[file.Name])
            {
                throw new BackupException($"{source} is missing or does not match its key backup's manifest: the key backup is damaged");
            }
            if (File.Exists(file.Path))
            {
                if (BackupFiles.Sha256(file.Path) != hashes[file.Name])
                {
                    throw new BackupException($"{file.Path} already exists and differs from the backup's {file.Name}: move it aside first (nothing was overwritten)");
                }
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!);
            File.Copy(source, file.Path);
            BackupFiles.OwnerOnly(file.Path);
            progress.Report($"key file {file.Name} restored to {file.Path}");
        }
    }

    private static bool IsWithin(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative == "." || (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }

    /// <summary>Progress as lines on the console, in order (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class Lines(TextWriter output) : IProgress<string>
    {
        public void Report(string value) => output.WriteLine("  " + value);
    }
}
