using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Npgsql;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Backup;

/// <summary>
/// Online backup of a running hub's database, and its restore into an empty one, with the engines' own tools: SQLite's
/// backup API, page by page, inside one read transaction (a consistent snapshot while the hub keeps writing, as WAL
/// allows); PostgreSQL's pg_dump in its custom format from a snapshot the backup exports, so the manifest's row counts are
/// those of the very snapshot dumped, and pg_restore in one transaction. Keys are never part of it: a database backup
/// holds sealed values, blind indexes and wrapped data keys, which are nothing without the key ring kept elsewhere.
/// </summary>
public static class DatabaseBackup
{
    private const string MigrationsTable = "__EFMigrationsHistory";
    private const int PagesPerStep = 2048;

    public static string DatabaseFileFor(DatabaseEngine engine) => engine == DatabaseEngine.Sqlite ? "hub.db" : "hub.pgdump";

    /// <summary>Backs up the database into a new folder (which must not exist or be empty) and writes the manifest last.</summary>
    public static async Task<BackupManifest> BackupAsync(DatabaseEngine engine, string connectionString, string folder, IProgress<string> progress,
        CancellationToken cancellationToken)
    {
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new BackupException($"{folder} is not empty: give each backup a folder of its own");
        }
        BackupFiles.CreateOwnerOnlyFolder(folder);
        var file = Path.Combine(folder, DatabaseFileFor(engine));
        var partial = file + ".partial";
        var (rows, lastMigration, checkpoint) = engine == DatabaseEngine.Sqlite
            ? await BackupSqliteAsync(connectionString, partial, progress, cancellationToken)
            : await BackupPostgresAsync(connectionString, partial, progress, cancellationToken);
        BackupFiles.OwnerOnly(partial);
        BackupFiles.Flush(partial);
        File.Move(partial, file);
        progress.Report("hashing the backup");
        var manifest = new BackupManifest
        {
            Engine = engine.ToString(),
            CreatedAt = DateTimeOffset.UtcNow,
            HubVersion = typeof(DatabaseBackup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            LastMigration = lastMigration,
            DatabaseFile = Path.GetFileName(file),
            DatabaseBytes = new FileInfo(file).Length,
            DatabaseSha256 = BackupFiles.Sha256(file),
            Rows = rows,
            AuditCheckpointSize = checkpoint,
        };
        manifest.Write(folder);
        return manifest;
    }

    /// <summary>Checks a backup folder's database file against its manifest (size and SHA-256) before anything is restored from it.</summary>
    public static void CheckIntact(BackupManifest manifest, string folder)
    {
        var file = Path.Combine(folder, manifest.DatabaseFile);
        if (!File.Exists(file))
        {
            throw new BackupException($"{file} is missing: the backup is incomplete");
        }
        if (new FileInfo(file).Length != manifest.DatabaseBytes || BackupFiles.Sha256(file) != manifest.DatabaseSha256)
        {
            throw new BackupException($"{file} does not match its manifest (size or SHA-256 differ): the backup is damaged; restore an older one");
        }
    }

    /// <summary>
    /// Restores the backup into an empty database. SQLite: into <paramref name="stagingFile"/> beside the target, which the
    /// caller moves into place (<see cref="PlaceSqlite"/>) only once the restore has verified; PostgreSQL: into the target
    /// database (created if it does not exist) in one transaction, so a failure leaves it empty.
    /// </summary>
    public static async Task RestoreAsync(BackupManifest manifest, string folder, DatabaseEngine engine, string connectionString, string? stagingFile,
        IProgress<string> progress, CancellationToken cancellationToken)
    {
        if (!string.Equals(manifest.Engine, engine.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new BackupException($"this backup is of a {manifest.Engine} database; the target is {engine} (restore it to the engine it came from, then move engines)");
        }
        var file = Path.Combine(folder, manifest.DatabaseFile);
        if (engine == DatabaseEngine.Sqlite)
        {
            await RestoreSqliteAsync(file, stagingFile!, progress, cancellationToken);
        }
        else
        {
            await RestorePostgresAsync(file, connectionString, progress, cancellationToken);
        }
    }

    /// <summary>Whether the target database holds any table (a restore never writes over a database in use).</summary>
    public static async Task<bool> HoldsTablesAsync(DatabaseEngine engine, string connectionString, CancellationToken cancellationToken)
    {
        if (engine == DatabaseEngine.Sqlite)
        {
            var path = SqlitePath(connectionString);
            if (!File.Exists(path) || new FileInfo(path).Length == 0)
            {
                return false;
            }
            await using var sqlite = OpenSqlite(path, SqliteOpenMode.ReadOnly);
            return (await TablesAsync(sqlite, null, cancellationToken)).Count > 0;
        }
        try
        {
            await using var postgres = new NpgsqlConnection(connectionString);
            await postgres.OpenAsync(cancellationToken);
            return (await TablesAsync(postgres, null, cancellationToken)).Count > 0;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return false;
        }
    }

    /// <summary>Rows per table, and the schema's last migration, of the database as it is now.</summary>
    public static async Task<(SortedDictionary<string, long> Rows, string LastMigration)> CountAsync(DatabaseEngine engine, string connectionString,
        CancellationToken cancellationToken)
    {
        await using DbConnection connection = engine == DatabaseEngine.Sqlite
            ? OpenSqlite(SqlitePath(connectionString), SqliteOpenMode.ReadOnly)
            : new NpgsqlConnection(connectionString);
        if (connection.State != ConnectionState.Open)
        {
            await connection.OpenAsync(cancellationToken);
        }
        await using var transaction = BeginRead(connection);
        var rows = await CountRowsAsync(connection, transaction, cancellationToken);
        return (rows, await LastMigrationAsync(connection, transaction, cancellationToken));
    }

    /// <summary>Moves a verified SQLite restore into place, atomically, with the folder entry flushed.</summary>
    public static void PlaceSqlite(string stagingFile, string connectionString)
    {
        SqliteConnection.ClearAllPools();
        var target = SqlitePath(connectionString);
        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            if (File.Exists(stagingFile + suffix))
            {
                throw new BackupException($"{stagingFile}{suffix} is still present: a connection to the restored database is open");
            }
        }
        BackupFiles.Flush(stagingFile);
        File.Move(stagingFile, target);
        BackupFiles.FlushFolder(Path.GetDirectoryName(target)!);
    }

    public static string SqlitePath(string connectionString) => Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource);

    public static string StagingFileFor(string connectionString) => SqlitePath(connectionString) + ".restoring";

    private static async Task<(SortedDictionary<string, long>, string, long)> BackupSqliteAsync(string connectionString, string partial,
        IProgress<string> progress, CancellationToken cancellationToken)
    {
        var path = SqlitePath(connectionString);
        if (!File.Exists(path))
        {
            throw new BackupException($"there is no database at {path}");
        }
        await using (var source = OpenSqlite(path, SqliteOpenMode.ReadWrite))
        {
            // One read transaction held across every step: the copy is the snapshot it began with, however much the hub
            // writes meanwhile (WAL keeps that snapshot's pages), and the backup never restarts.
            await using var snapshot = BeginRead(source);
            await using (DbCommand read = source.CreateCommand())
            {
                read.Transaction = snapshot;
                read.CommandText = "SELECT COUNT(*) FROM sqlite_master";
                await read.ExecuteScalarAsync(cancellationToken);
            }
            await using var destination = OpenSqlite(partial, SqliteOpenMode.ReadWriteCreate);
            BackupFiles.OwnerOnly(partial);
            CopyPages(source, destination, progress, cancellationToken);
        }
        progress.Report("checking the copy (PRAGMA quick_check)");
        await using var copy = OpenSqlite(partial, SqliteOpenMode.ReadWrite);
        await using (var check = copy.CreateCommand())
        {
            check.CommandText = "PRAGMA quick_check";
            var result = (string?)await check.ExecuteScalarAsync(cancellationToken);
            if (result != "ok")
            {
                throw new BackupException($"the copy failed SQLite's check ({result}); the database itself may be damaged: run PRAGMA integrity_check on it");
            }
        }
        await using var transaction = BeginRead(copy);
        var rows = await CountRowsAsync(copy, transaction, cancellationToken);
        var migration = await LastMigrationAsync(copy, transaction, cancellationToken);
        var checkpoint = await CheckpointSizeAsync(copy, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (rows, migration, checkpoint);
    }

    private static void CopyPages(SqliteConnection source, SqliteConnection destination, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var backup = SQLitePCL.raw.sqlite3_backup_init(destination.Handle, "main", source.Handle, "main");
        if (backup is null)
        {
            throw new BackupException($"SQLite could not start the backup: {SQLitePCL.raw.sqlite3_errmsg(destination.Handle).utf8_to_string()}");
        }
        var lastShown = -1;
        int rc;
        try
        {
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                rc = SQLitePCL.raw.sqlite3_backup_step(backup, PagesPerStep);
                var total = SQLitePCL.raw.sqlite3_backup_pagecount(backup);
                var done = total - SQLitePCL.raw.sqlite3_backup_remaining(backup);
                var percent = total == 0 ? 100 : (int)(100L * done / total);
                if (percent / 10 != lastShown / 10 || rc == SQLitePCL.raw.SQLITE_DONE)
                {
                    lastShown = percent;
                    progress.Report(string.Create(CultureInfo.InvariantCulture, $"copying the database: {percent}% ({done:N0} of {total:N0} pages)"));
                }
                if (rc is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED)
                {
                    Thread.Sleep(50);
                }
            }
            while (rc is SQLitePCL.raw.SQLITE_OK or SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED);
        }
        finally
        {
            SQLitePCL.raw.sqlite3_backup_finish(backup);
        }
        if (rc != SQLitePCL.raw.SQLITE_DONE)
        {
            throw new BackupException($"SQLite's backup stopped: {SQLitePCL.raw.sqlite3_errstr(rc).utf8_to_string()}");
        }
    }

    private static async Task RestoreSqliteAsync(string file, string stagingFile, IProgress<string> progress, CancellationToken cancellationToken)
    {
        foreach (var stale in new[] { stagingFile, stagingFile + "-wal", stagingFile + "-shm" })
        {
            File.Delete(stale);
        }
        var folder = Path.GetDirectoryName(stagingFile)!;
        Directory.CreateDirectory(folder);
        await using var source = OpenSqlite(file, SqliteOpenMode.ReadOnly);
        await using var destination = OpenSqlite(stagingFile, SqliteOpenMode.ReadWriteCreate);
        BackupFiles.OwnerOnly(stagingFile);
        CopyPages(source, destination, progress, cancellationToken);
    }

    private static async Task<(SortedDictionary<string, long>, string, long)> BackupPostgresAsync(string connectionString, string partial,
        IProgress<string> progress, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // The snapshot pg_dump dumps is this transaction's: the counts below are of exactly the rows in the dump.
        await using var transaction = BeginRead(connection);
        string snapshot;
        await using (DbCommand export = connection.CreateCommand())
        {
            export.Transaction = transaction;
            export.CommandText = "SELECT pg_export_snapshot()";
            snapshot = (string)(await export.ExecuteScalarAsync(cancellationToken))!;
        }
        var rows = await CountRowsAsync(connection, transaction, cancellationToken);
        var migration = await LastMigrationAsync(connection, transaction, cancellationToken);
        var checkpoint = await CheckpointSizeAsync(connection, transaction, cancellationToken);
        var tables = rows.Count;
        var dumped = 0;
        await PostgresTools.RunAsync("pg_dump", connectionString,
            ["--format=custom", "--verbose", "--no-password", $"--snapshot={snapshot}", $"--file={partial}"],
            line =>
            {
                if (line.Contains("dumping contents of table", StringComparison.Ordinal))
                {
                    dumped++;
                    progress.Report(string.Create(CultureInfo.InvariantCulture, $"dumping table {dumped} of {tables}: {TableIn(line)}"));
                }
            }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (rows, migration, checkpoint);
    }

    private static async Task RestorePostgresAsync(string file, string connectionString, IProgress<string> progress, CancellationToken cancellationToken)
    {
        await EnsurePostgresDatabaseAsync(connectionString, progress, cancellationToken);
        var restored = 0;
        await PostgresTools.RunAsync("pg_restore", connectionString,
            ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--verbose", "--no-password", file],
            line =>
            {
                if (line.Contains("processing data for table", StringComparison.Ordinal))
                {
                    restored++;
                    progress.Report(string.Create(CultureInfo.InvariantCulture, $"restoring table {restored}: {TableIn(line)}"));
                }
            }, cancellationToken, databaseArgument: "--dbname");
        // pg_restore carries rows, not the planner's statistics: until autovacuum samples the tables in its own time, the
        // hub's first queries would be planned for empty tables (PostgreSQL advises ANALYZE after a restore). It samples
        // each table, so it takes seconds at any size.
        progress.Report("gathering the planner's statistics (ANALYZE)");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var analyse = connection.CreateCommand();
        analyse.CommandText = "ANALYZE";
        analyse.CommandTimeout = 0;
        await analyse.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task EnsurePostgresDatabaseAsync(string connectionString, IProgress<string> progress, CancellationToken cancellationToken)
    {
        try
        {
            await using var probe = new NpgsqlConnection(connectionString);
            await probe.OpenAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            var name = builder.Database!;
            builder.Database = "postgres";
            builder.Pooling = false;
            await using var admin = new NpgsqlConnection(builder.ConnectionString);
            await admin.OpenAsync(cancellationToken);
            await using var create = admin.CreateCommand();
            create.CommandText = $"CREATE DATABASE {Quote(name)}";
            await create.ExecuteNonQueryAsync(cancellationToken);
            progress.Report($"created database {name}");
        }
    }

    private static string TableIn(string line)
    {
        var start = line.IndexOf('"', StringComparison.Ordinal);
        return start < 0 ? line : line[start..].Replace("\"", "", StringComparison.Ordinal);
    }

    /// <summary>A read transaction that never blocks the hub's writers: SQLite's deferred BEGIN (not IMMEDIATE), PostgreSQL's repeatable read.</summary>
    private static DbTransaction BeginRead(DbConnection connection) => connection is SqliteConnection sqlite
        ? sqlite.BeginTransaction(deferred: true)
        : connection.BeginTransaction(IsolationLevel.RepeatableRead);

    private static SqliteConnection OpenSqlite(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>The database's own tables, by its catalogue (so an older schema is counted as it is).</summary>
    private static async Task<List<string>> TablesAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = connection is SqliteConnection
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name";
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }
        return tables;
    }

    private static async Task<SortedDictionary<string, long>> CountRowsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var rows = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in await TablesAsync(connection, transaction, cancellationToken))
        {
            await using var count = connection.CreateCommand();
            count.Transaction = transaction;
            // A name from the database's own catalogue, quoted; never input.
            count.CommandText = $"SELECT COUNT(*) FROM {Quote(table)}";
            rows[table] = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }
        return rows;
    }

    private static async Task<string> LastMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (!(await TablesAsync(connection, transaction, cancellationToken)).Contains(MigrationsTable))
        {
            throw new BackupException("the database has no schema history: it is not a hub database, or was never migrated");
        }
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT \"MigrationId\" FROM {Quote(MigrationsTable)} ORDER BY \"MigrationId\" DESC LIMIT 1";
        return (string?)await command.ExecuteScalarAsync(cancellationToken) ?? throw new BackupException("the database's schema history is empty");
    }

    private static async Task<long> CheckpointSizeAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(MAX(\"TreeSize\"), 0) FROM \"AuditCheckpoints\"";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
