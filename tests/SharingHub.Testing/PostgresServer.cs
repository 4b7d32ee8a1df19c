using System.Diagnostics;
using Npgsql;

namespace SharingHub.Testing;

/// <summary>
/// A real PostgreSQL server for the test run, started from the server binaries on the machine
/// (initdb and pg_ctl in a temporary folder, on a free loopback port) and stopped when the test
/// process exits. Each test gets its own database on it. PostgreSQL refuses to run as root, so as
/// root the server runs as the postgres system user.
/// </summary>
public sealed class PostgresServer
{
    private const string Superuser = "hub";
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private readonly string _root;
    private readonly string _binaries;
    private readonly bool _asPostgresUser;

    private PostgresServer(string root, string binaries, bool asPostgresUser, int port)
    {
        _root = root;
        _binaries = binaries;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public int Port { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>
    /// A server of the caller's own, not shared with other tests (a standby copies a whole server, and a test that stops
    /// its server must not stop anyone else's). Stopped with <see cref="StopAsync"/>, or when the test process exits.
    /// </summary>
    public static Task<PostgresServer> StartOwnAsync() => StartAsync();

    /// <summary>
    /// A hot standby of this server, as production makes one: <c>pg_basebackup</c> with <c>-R</c> (it then streams the
    /// primary's write-ahead log and replays it), started on its own port. Read-only; replay can be paused to make it lag.
    /// </summary>
    public async Task<PostgresServer> StartStandbyAsync()
    {
        var root = Path.Combine(_root, "standby");
        Directory.CreateDirectory(root);
        if (_asPostgresUser)
        {
            await RunAsync("chown", ["postgres:", root], asPostgresUser: false, binaries: null);
        }
        await RunAsync("pg_basebackup", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Superuser,
            "-D", Path.Combine(root, "data"), "-R", "-X", "stream", "-c", "fast"], _asPostgresUser, _binaries);
        var port = Loopback.FreePort();
        await PgCtlStartAsync(root, port, _asPostgresUser, _binaries);
        var standby = new PostgresServer(root, _binaries, _asPostgresUser, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => standby.Stop();
        return standby;
    }

    /// <summary>A standby stops applying what it receives (it keeps receiving), so it falls behind; or carries on.</summary>
    public async Task PauseReplayAsync(bool paused)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(paused ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Stops a server of the caller's own (immediately) and removes its folder.</summary>
    public Task StopAsync() => Task.Run(Stop);

    /// <summary>
    /// Set before the first <see cref="GetAsync"/> to run the server as production would (every commit
    /// flushed, a buffer pool sized for the data), for benchmarks. Tests run without flushes, for speed.
    /// </summary>
    public static bool Durable { get; set; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={Superuser};Database={database};Pooling=true;Maximum Pool Size=20;Timeout=30";

    /// <param name="tablespace">A folder for the database's files (on a filesystem of the test's choosing), else the server's own.</param>
    public async Task<string> CreateDatabaseAsync(string? tablespace = null)
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        if (tablespace is not null)
        {
            Directory.CreateDirectory(tablespace);
            if (_asPostgresUser)
            {
                await RunAsync("chown", ["postgres:", tablespace], asPostgresUser: false, binaries: null);
            }
            await using var create = new NpgsqlCommand($"CREATE TABLESPACE ts_{name} LOCATION '{tablespace.Replace("'", "''", StringComparison.Ordinal)}'", connection);
            await create.ExecuteNonQueryAsync();
        }
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}{(tablespace is null ? "" : $" TABLESPACE ts_{name}")}", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>Drops a test's database, closing any connection still open to it.</summary>
    public async Task DropDatabaseAsync(string database)
    {
        if (!database.StartsWith("t_", StringComparison.Ordinal) || !database.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException("only a test database made by CreateDatabaseAsync is dropped", nameof(database));
        }
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection))
        {
            await command.ExecuteNonQueryAsync();
        }
        // A tablespace of its own (a disk-full test's small filesystem) goes with it; DROP DATABASE runs outside any transaction, so apart.
        await using var tablespace = new NpgsqlCommand($"DROP TABLESPACE IF EXISTS ts_{database}", connection);
        await tablespace.ExecuteNonQueryAsync();
    }

    /// <summary>A plain-SQL dump of one database, as an operator's backup would hold it.</summary>
    public async Task<string> DumpAsync(string database)
    {
        var file = Path.Combine(_root, $"{database}.sql");
        await RunAsync("pg_dump", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Superuser, "-f", file, database], _asPostgresUser, _binaries);
        return await File.ReadAllTextAsync(file);
    }

    /// <summary>A pg_dump archive (custom format, compressed) as the SQL text it holds, to search it for what must not be there.</summary>
    public async Task<string> ArchiveAsSqlAsync(string archive)
    {
        var file = Path.Combine(Path.GetDirectoryName(archive)!, "archive-as.sql");
        // pg_restore only reads a file here, as a client: it runs as this user, who owns the archive.
        await RunAsync("pg_restore", ["--file=" + file, archive], asPostgresUser: false, _binaries);
        return await File.ReadAllTextAsync(file);
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var binaries = FindBinaries();
        var asPostgresUser = Environment.UserName == "root";
        var root = Path.Combine(Path.GetTempPath(), "sharinghub-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (asPostgresUser)
        {
            await RunAsync("chown", ["postgres:", root], asPostgresUser: false, binaries: null);
        }
        var data = Path.Combine(root, "data");
        await RunAsync("initdb", ["-D", data, "-A", "trust", "-U", Superuser, "-E", "UTF8", "--no-sync", "--locale=C"], asPostgresUser, binaries);

        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = Loopback.FreePort();
            try
            {
                await PgCtlStartAsync(root, port, asPostgresUser, binaries);
                var server = new PostgresServer(root, binaries, asPostgresUser, port);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
                return server;
            }
            catch (InvalidOperationException e)
            {
                last = e;
            }
        }
        throw new InvalidOperationException($"PostgreSQL did not start; see {Path.Combine(root, "server.log")}", last);
    }

    private static Task PgCtlStartAsync(string root, int port, bool asPostgresUser, string binaries) =>
        RunAsync("pg_ctl", ["-D", Path.Combine(root, "data"), "-l", Path.Combine(root, "server.log"), "-w", "-t", "120", "-o",
            $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 " +
            (Durable ? "-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=1GB" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"),
            "start"], asPostgresUser, binaries);

    /// <summary>
    /// The server crashes (an immediate shutdown: no checkpoint, every backend killed, as after SIGKILL or a power cut with
    /// a durable disk) and starts again on the same port, recovering from its write-ahead log.
    /// </summary>
    public async Task CrashAndRestartAsync()
    {
        await RunAsync("pg_ctl", ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"], _asPostgresUser, _binaries);
        NpgsqlConnection.ClearAllPools();
        await PgCtlStartAsync(_root, Port, _asPostgresUser, _binaries);
    }

    private int _stopped;

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        try
        {
            RunAsync("pg_ctl", ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"], _asPostgresUser, _binaries).GetAwaiter().GetResult();
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Process exit: nobody is left to rethrow to. tests/run.sh removes leftover folders.
            Console.Error.WriteLine($"PostgreSQL test server in {_root} did not stop cleanly: {e.Message}");
        }
    }

    private static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("SHARINGHUB_PG_BIN");
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured))
        {
            candidates.Add(configured);
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException(
                "PostgreSQL server binaries not found (looked in SHARINGHUB_PG_BIN and /usr/lib/postgresql/*/bin); tests/run.sh installs them with apt-get install postgresql");
    }

    private static async Task RunAsync(string tool, string[] arguments, bool asPostgresUser, string? binaries)
    {
        var executable = binaries is null ? tool : Path.Combine(binaries, tool);
        var start = asPostgresUser
            ? new ProcessStartInfo("runuser") { ArgumentList = { "-u", "postgres", "--", executable } }
            : new ProcessStartInfo(executable);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}
