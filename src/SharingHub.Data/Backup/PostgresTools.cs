using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace SharingHub.Data.Backup;

/// <summary>
/// PostgreSQL's own client tools (pg_dump, pg_restore), found where Debian installs them (the newest version first, since
/// pg_dump must be at least the server's version), else SHARINGHUB_PG_BIN, else PATH. The connection string becomes
/// arguments and PG* environment variables; its password is passed only in the tool's environment, never on its command line.
/// </summary>
internal static class PostgresTools
{
    public static string Find(string tool)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("SHARINGHUB_PG_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return candidates.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists)
            ?? throw new BackupException($"{tool} was not found (looked in SHARINGHUB_PG_BIN, /usr/lib/postgresql/*/bin and PATH): install PostgreSQL's client tools (apt-get install postgresql-client)");
    }

    public static async Task RunAsync(string tool, string connectionString, IReadOnlyList<string> arguments, Action<string> onProgressLine,
        CancellationToken cancellationToken, string databaseArgument = "--dbname")
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(Find(tool))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (builder.Host is { Length: > 0 } host)
        {
            start.ArgumentList.Add($"--host={host}");
        }
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--port={builder.Port}"));
        if (builder.Username is { Length: > 0 } user)
        {
            start.ArgumentList.Add($"--username={user}");
        }
        start.ArgumentList.Add($"{databaseArgument}={builder.Database}");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        if (builder.Password is { Length: > 0 } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }
        start.Environment["PGSSLMODE"] = builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };
        start.Environment["PGAPPNAME"] = "sharinghub-" + tool;
        using var process = Process.Start(start) ?? throw new BackupException($"{tool} did not start");
        var errors = new List<string>();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Contains("error:", StringComparison.Ordinal) || line.Contains("FATAL", StringComparison.Ordinal))
                {
                    errors.Add(line);
                }
                onProgressLine(line);
            }
        }, cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await stderr;
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new BackupException($"{tool} failed (exit code {process.ExitCode}): {string.Join("; ", errors.DefaultIfEmpty("no message"))}");
        }
    }
}
