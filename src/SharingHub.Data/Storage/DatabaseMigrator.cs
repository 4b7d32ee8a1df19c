using System.Data;
using System.Data.Common;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace SharingHub.Data.Storage;

/// <summary>
/// Applies the numbered SQL migrations of the configured engine (Migrations/Sqlite, Migrations/Postgres),
/// each in its own transaction, recording id and checksum. EF's design-time tooling does not restore on
/// this registry, so migrations are SQL scripts; new ones start from "sharinghub db script", and a test
/// checks that the migrated schema holds every table and column the model maps.
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
        await connection.OpenAsync(cancellationToken);
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
            await using (var create = await BeginExclusiveAsync(connection, cancellationToken))
            {
                await ExecuteAsync(connection, create,
                    $"CREATE TABLE IF NOT EXISTS {HistoryTable} (id VARCHAR(150) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(40) NOT NULL);",
                    cancellationToken);
                await create.CommitAsync(cancellationToken);
            }
            foreach (var migration in Scripts(engine))
            {
                if (await ApplyAsync(connection, migration, cancellationToken))
                {
                    applied.Add(migration.Id);
                }
            }
        }
        finally
        {
            if (engine == DatabaseEngine.Postgres)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey});", CancellationToken.None);
            }
        }
        logger.LogInformation("Database schema is current on {Engine}; applied {Count} migrations", engine, applied.Count);
        return applied;
    }

    private static async Task<bool> ApplyAsync(DbConnection connection, (string Id, string Sql, string Checksum) migration, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginExclusiveAsync(connection, cancellationToken);
        var recorded = await RecordedChecksumAsync(connection, transaction, migration.Id, cancellationToken);
        if (recorded is not null)
        {
            return recorded == migration.Checksum
                ? false
                : throw new InvalidOperationException(
                    $"migration {migration.Id} was applied with checksum {recorded} but the shipped script has {migration.Checksum}; shipped migrations must never change");
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
        var path = Path.GetFullPath(dataSource);
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
        OwnerOnly(path);
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
            if (File.Exists(file) && (File.GetUnixFileMode(file) & ~mode) != 0)
            {
                File.SetUnixFileMode(file, mode);
            }
        }
    }
}
