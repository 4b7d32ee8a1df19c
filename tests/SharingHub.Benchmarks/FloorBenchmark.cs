using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
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
/// <para>
/// Beside the commits, what a SQLite read costs when another connection has just committed, as nearly every secured
/// read's queries do (each secured request commits an audit entry): a keyed lookup on a pooled connection tuned as the
/// hub tunes its own (<see cref="SharingHub.Data.Storage.SqliteTuning"/>), with nothing committed between reads, right
/// after another connection's commit, and that again with the file memory-mapped (the hub's setting until 2026-12-05).
/// </para>
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
            var reads = SqliteReads(Path.Combine(folder, "reads.db"), smoke ? 2_000 : 100_000, count);
            Measured = new Floor(fsync, sqlite, pg);
            report.Add(new Figure("floor", "fdatasync of a 300-byte append (baseline)", 1_000 / fsync, null, 1, "itself"));
            report.Add(new Figure("floor", "SQLite one-row commit, WAL, synchronous=FULL", 1_000 / sqlite, null, sqlite / fsync, "fdatasync (cost ratio)"));
            if (postgres)
            {
                report.Add(new Figure("floor", "PostgreSQL one-row commit, synchronous_commit=on (loopback)", 1_000 / pg, null, pg / fsync, "fdatasync (cost ratio)"));
            }
            report.Add(new Figure("floor", $"SQLite keyed read of one of {reads.Rows:N0} rows, pooled connection as the hub tunes it, nothing committed between reads (baseline)",
                1_000 / reads.AloneMs, null, 1, "itself"));
            report.Add(new Figure("floor", "SQLite keyed read right after another connection's commit (as a secured read's queries, after the audit entries before them)",
                1_000 / reads.AfterCommitMs, null, reads.AfterCommitMs / reads.AloneMs, "nothing committed between (cost ratio)"));
            report.Add(new Figure("floor", "SQLite keyed read right after another connection's commit, the file memory-mapped (the hub until 2026-12-05)",
                1_000 / reads.AfterCommitMappedMs, null, reads.AfterCommitMappedMs / reads.AfterCommitMs, "not mapped (cost ratio)"));
            report.AddSection($"""
                ### The physical floor (this run)

                One durable commit on this machine, one at a time: fdatasync of an append {fsync:N3} ms; SQLite one-row
                commit (WAL, synchronous=FULL) {sqlite:N3} ms{(postgres ? $"; PostgreSQL one-row commit (synchronous_commit=on, over loopback) {pg:N3} ms" : "")}.
                Every secured read commits its audit entry before it answers, so a secured read's least possible cost is
                its baseline plus one of these.

                A SQLite keyed read (one of {reads.Rows:N0} rows, pooled connection, the hub's tuning): {reads.AloneMs:N3} ms with
                nothing committed between reads, {reads.AfterCommitMs:N3} ms right after another connection's commit (SQLite then
                starts the reader's page cache afresh), {reads.AfterCommitMappedMs:N3} ms after a commit with the file memory-mapped
                (the map is dropped and made again, and each page read faults back in). A secured read's queries follow
                the audit entries committed before them, so on SQLite they pay the second figure where the baseline's pay the first.
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

    /// <summary>Milliseconds per keyed read: with nothing committed between, right after another connection's commit, and that memory-mapped.</summary>
    private sealed record Reads(int Rows, double AloneMs, double AfterCommitMs, double AfterCommitMappedMs);

    private static Reads SqliteReads(string path, int rows, int count)
    {
        var keys = new string[rows];
        using (var setup = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            setup.Open();
            Execute(setup, "PRAGMA journal_mode=WAL; CREATE TABLE r (id TEXT NOT NULL PRIMARY KEY, v BLOB NOT NULL); CREATE TABLE w (id INTEGER PRIMARY KEY, v BLOB NOT NULL);");
            using var transaction = setup.BeginTransaction();
            using var insert = setup.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO r (id, v) VALUES ($id, $v)";
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var value = insert.Parameters.Add("$v", SqliteType.Blob);
            for (var i = 0; i < rows; i++)
            {
                keys[i] = Guid.NewGuid().ToString();
                id.Value = keys[i];
                value.Value = RandomNumberGenerator.GetBytes(300);
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        Random.Shared.Shuffle(keys);
        using var writer = new SqliteConnection($"Data Source={path};Pooling=false");
        writer.Open();
        Execute(writer, "PRAGMA synchronous=FULL;");
        using var write = writer.CreateCommand();
        write.CommandText = "INSERT INTO w (v) VALUES (zeroblob(300))";
        var pooled = $"Data Source={path};Pooling=true";
        // A second pool (its own connections) for the memory-mapped reads.
        var mapped = pooled + ";Mode=ReadWriteCreate";
        var next = 0;
        double Time(string connectionString, bool commitFirst, long mapBytes)
        {
            var timer = new Stopwatch();
            for (var i = 0; i < count + 10; i++)
            {
                if (commitFirst)
                {
                    write.ExecuteNonQuery();
                }
                if (i >= 10)
                {
                    timer.Start();
                }
                Read(connectionString, keys[next++ % keys.Length], mapBytes);
                timer.Stop();
            }
            return timer.Elapsed.TotalMilliseconds / count;
        }
        try
        {
            return new Reads(rows, Time(pooled, false, 0), Time(pooled, true, 0), Time(mapped, true, 256L * 1024 * 1024));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>The pooled connections already given a memory map (once per connection, as the hub did).</summary>
    private static readonly HashSet<object> Mapped = [];

    private static void Read(string connectionString, string key, long mapBytes)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        SharingHub.Data.Storage.SqliteTuning.Tune(connection);
        if (mapBytes > 0 && Mapped.Add(connection.Handle!))
        {
            Execute(connection, $"PRAGMA mmap_size={mapBytes};");
        }
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT id, v FROM r WHERE id = $id";
        read.Parameters.AddWithValue("$id", key);
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            reader.GetFieldValue<byte[]>(1);
        }
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
