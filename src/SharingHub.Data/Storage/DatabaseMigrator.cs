using System.Data;
using System.Data.Common;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;

namespace SharingHub.Data.Storage;

/// <summary>
/// Brings the schema to the model with EF Core migrations (Migrations/Sqlite/Model, Migrations/Postgres/Model).
/// Databases made before those existed were built by numbered SQL scripts (Migrations/Sqlite, Migrations/Postgres,
/// recorded in __sharinghub_migrations): any script such a database lacks is applied first, then it is marked as
/// at the EF baseline (the Initial migration creates exactly what the scripts made; a test compares the two), and
/// EF migrations carry on from there. One migrator runs at a time across hub processes: a PostgreSQL advisory
/// lock, SQLite's write lock, and EF's own migration lock.
/// </summary>
public sealed class DatabaseMigrator(IHubDbContextFactory contexts, ILogger<DatabaseMigrator> logger)
{
    private const string HistoryTable = "__sharinghub_migrations";
    private const long AdvisoryLockKey = 0x5348_4D49_4752; // "SHMIGR"

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = contexts.Create();
        var engine = contexts.Engine;
        if (engine == DatabaseEngine.Sqlite)
        {
            EnsureSqliteFolder(db.Database.GetConnectionString());
        }
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        if (engine == DatabaseEngine.Sqlite)
        {
            // WAL lets readers run while the audit writer commits; it is a property of the file, set once.
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
        }
        if (engine == DatabaseEngine.Postgres)
        {
            // One migrator at a time across every hub process on this database; released when the session ends.
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey});", cancellationToken);
        }
        var applied = new List<string>();
        try
        {
            if (await LegacyHistoryExistsAsync(connection, engine, cancellationToken))
            {
                foreach (var migration in Scripts(engine))
                {
                    if (await ApplyAsync(connection, migration, cancellationToken))
                    {
                        applied.Add(migration.Id);
                    }
                }
                await BaselineAsync(db, cancellationToken);
            }
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            await db.Database.MigrateAsync(cancellationToken);
            applied.AddRange(pending);
        }
        finally
        {
            if (engine == DatabaseEngine.Postgres)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey});", CancellationToken.None);
            }
            await db.Database.CloseConnectionAsync();
        }
        logger.LogInformation("Database schema is current on {Engine}; applied {Count} migrations", engine, applied.Count);
        return applied;
    }

    /// <summary>Whether this database was made by the SQL scripts (before EF migrations).</summary>
    private static async Task<bool> LegacyHistoryExistsAsync(DbConnection connection, DatabaseEngine engine, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = engine == DatabaseEngine.Sqlite
            ? $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{HistoryTable}'"
            : $"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{HistoryTable}'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Records the Initial migration as applied on a script-made database (whose schema it already has), once.</summary>
    private static async Task BaselineAsync(HubDbContext db, CancellationToken cancellationToken)
    {
        var history = db.GetService<IHistoryRepository>();
        var initial = db.Database.GetMigrations().First();
        await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
        if ((await history.GetAppliedMigrationsAsync(cancellationToken)).Any(m => m.MigrationId == initial))
        {
            return;
        }
        var version = typeof(DbContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "10.0.0";
#pragma warning disable EF1002 // EF's own history script: the migration id and version are EF's, not input.
        await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(initial, version)), cancellationToken);
#pragma warning restore EF1002
    }

    private static async Task<bool> ApplyAsync(DbConnection connection, (string Id, string Sql, string Checksum) migration, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginExclusiveAsync(connection, cancellationToken);
        var recorded = await RecordedChecksumAsync(connection, transaction, migration.Id, cancellationToken);
        if (recorded is not null)
        {
            return recorded == migration.Checksum
                ? false
                : throw new Core.StartRefusedException(
                    $"migration {migration.Id} was applied to this database with checksum {recorded} but this build's script has {migration.Checksum}; shipped migrations never change, so this build or this database is not what it claims: run the build the database was written by, or restore the database from a backup");
        }
        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO {HistoryTable} (id, checksum, applied_at) VALUES (@id, @checksum, @at)";
            AddParameter(insert, "@id", migration.Id);
            AddParameter(insert, "@checksum", migration.Checksum);
            AddParameter(insert, "@at", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public static IReadOnlyList<(string Id, string Sql, string Checksum)> Scripts(DatabaseEngine engine)
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var prefix = $"{assembly.GetName().Name}.Migrations.{engine}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n =>
            {
                var sql = ReadResource(assembly, n);
                var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
                return (n[prefix.Length..^".sql".Length], sql, checksum);
            })
            .ToList();
    }

    private static async Task<DbTransaction> BeginExclusiveAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection is SqliteConnection sqlite
            // IMMEDIATE takes the write lock up front, so two hubs starting together apply each script once.
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    private static async Task<string?> RecordedChecksumAsync(DbConnection connection, DbTransaction transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT checksum FROM {HistoryTable} WHERE id = @id";
        AddParameter(command, "@id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static void EnsureSqliteFolder(string? connectionString)
    {
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:")
        {
            return;
        }
        var path = SqliteLocation.Prepare(dataSource);
        SqliteLocation.Guarded(path, () => OwnerOnly(path));
    }

    /// <summary>
    /// The database holds sealed values and blind indexes: it is created readable by its owner alone, and so
    /// are its WAL and shared-memory files, which SQLite creates with the database file's own mode.
    /// An existing file made before this rule is narrowed too.
    /// </summary>
    public static void OwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Already there (made earlier, or by another hub process starting at the same moment).
        }
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            try
            {
                if (File.Exists(file) && (File.GetUnixFileMode(file) & ~mode) != 0)
                {
                    File.SetUnixFileMode(file, mode);
                }
            }
            catch (FileNotFoundException) when (file != path)
            {
                // SQLite removes the WAL and shared-memory files when another node's (or process's) last connection to
                // the database closes; one gone between the check and the change has nothing left to narrow.
            }
        }
    }
}
