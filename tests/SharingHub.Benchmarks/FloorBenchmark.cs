using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Npgsql;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// The machine's physical floor, measured in the same run as everything it bounds: what one durable
/// commit costs here with nothing of the hub in the way. An <c>fdatasync</c> of a 300-byte append to a
/// file in the folder the benchmark's databases use; a one-row SQLite commit in WAL mode with
/// <c>synchronous=FULL</c> (as the hub runs it); a one-row PostgreSQL commit with
/// <c>synchronous_commit=on</c> on the server the benchmark starts (fsync on). Each is timed one at a
/// time; the audit and HTTP figures are then also reported against these.
/// </summary>
internal static class FloorBenchmark
{
    /// <summary>Milliseconds per durable commit, by what was committed (the figures above the audit and HTTP ones).</summary>
    public static Floor Measured { get; private set; } = new(double.NaN, double.NaN, double.NaN);

    public static async Task<Floor> RunAsync(Report report, bool smoke, bool postgres)
    {
        var count = smoke ? 50 : 2_000;
        var folder = Path.Combine(Path.GetTempPath(), "sharinghub-floor-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var fsync = AppendAndSync(Path.Combine(folder, "append.bin"), count);
            var sqlite = SqliteCommits(Path.Combine(folder, "floor.db"), count);
            var pg = postgres ? await PostgresCommitsAsync(count) : double.NaN;
            Measured = new Floor(fsync, sqlite, pg);
            report.Add(new Figure("floor", "fdatasync of a 300-byte append (baseline)", 1_000 / fsync, null, 1, "itself"));
            report.Add(new Figure("floor", "SQLite one-row commit, WAL, synchronous=FULL", 1_000 / sqlite, null, sqlite / fsync, "fdatasync (cost ratio)"));
            if (postgres)
            {
                report.Add(new Figure("floor", "PostgreSQL one-row commit, synchronous_commit=on (loopback)", 1_000 / pg, null, pg / fsync, "fdatasync (cost ratio)"));
            }
            report.AddSection($"""
                ### The physical floor (this run)

                One durable commit on this machine, one at a time: fdatasync of an append {fsync:N3} ms; SQLite one-row
                commit (WAL, synchronous=FULL) {sqlite:N3} ms{(postgres ? $"; PostgreSQL one-row commit (synchronous_commit=on, over loopback) {pg:N3} ms" : "")}.
                Every secured read commits its audit entry before it answers, so a secured read's least possible cost is
                its baseline plus one of these.
                """);
            return Measured;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double AppendAndSync(string path, int count)
    {
        var payload = new byte[300];
        Random.Shared.NextBytes(payload);
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var timer = new Stopwatch();
        for (var i = 0; i < count + 10; i++)
        {
            if (i == 10)
            {
                timer.Start();
            }
            file.Write(payload);
            DataSync(file);
        }
        return timer.Elapsed.TotalMilliseconds / count;
    }

    private static void DataSync(FileStream file)
    {
        if (OperatingSystem.IsLinux() && fdatasync((int)file.SafeFileHandle.DangerousGetHandle()) == 0)
        {
            return;
        }
        file.Flush(flushToDisk: true);
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // A benchmark's one libc call; no marshalling to generate.
    private static extern int fdatasync(int fd);
#pragma warning restore SYSLIB1054

    private static double SqliteCommits(string path, int count)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);");
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO t (v) VALUES ($v)";
        var value = insert.Parameters.Add("$v", SqliteType.Blob);
        value.Value = new byte[300];
        var timer = new Stopwatch();
        for (var i = 0; i < count + 10; i++)
        {
            if (i == 10)
            {
                timer.Start();
            }
            using var transaction = connection.BeginTransaction(deferred: false);
            insert.Transaction = transaction;
            insert.ExecuteNonQuery();
            transaction.Commit();
        }
        return timer.Elapsed.TotalMilliseconds / count;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static async Task<double> PostgresCommitsAsync(int count)
    {
        var server = await PostgresServer.GetAsync();
        var name = await server.CreateDatabaseAsync();
        try
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString(name));
            await connection.OpenAsync();
            await using (var setup = new NpgsqlCommand("SET synchronous_commit = on; CREATE TABLE t (id bigserial PRIMARY KEY, v bytea NOT NULL)", connection))
            {
                await setup.ExecuteNonQueryAsync();
            }
            await using var insert = new NpgsqlCommand("INSERT INTO t (v) VALUES ($1)", connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = new byte[300] });
            await insert.PrepareAsync();
            var timer = new Stopwatch();
            for (var i = 0; i < count + 10; i++)
            {
                if (i == 10)
                {
                    timer.Start();
                }
                await insert.ExecuteNonQueryAsync();
            }
            return timer.Elapsed.TotalMilliseconds / count;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await server.DropDatabaseAsync(name);
        }
    }
}

/// <summary>One durable commit's cost in milliseconds: a bare fdatasync, a SQLite commit, a PostgreSQL commit (NaN when not measured).</summary>
internal sealed record Floor(double FsyncMs, double SqliteCommitMs, double PostgresCommitMs)
{
    public double CommitMs(SharingHub.Data.Storage.DatabaseEngine engine) =>
        engine == SharingHub.Data.Storage.DatabaseEngine.Postgres ? PostgresCommitMs : SqliteCommitMs;
}
