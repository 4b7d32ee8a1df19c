using System.Data.Common;
using Microsoft.Extensions.Options;
using SharingHub.Core;
using SharingHub.Crypto.Keys;
using SharingHub.Crypto.Signing;

namespace SharingHub.Data.Storage;

/// <summary>
/// A failure an operator can act on, said in one line with the exit status that tells a supervisor what to do, whether the
/// hub's server met it as it started or the operator's command line met it: a setting to mend (<see cref="SetupExitCode"/>,
/// EX_CONFIG: restarting would only fail again), or a database not reachable (<see cref="DatabaseUnavailableExitCode"/>,
/// EX_UNAVAILABLE: a restart may find it). Anything else is a fault of the hub's own, and keeps its stack trace.
/// </summary>
public static partial class OperatorFailures
{
    /// <summary>A setting to mend (EX_CONFIG).</summary>
    public const int SetupExitCode = 78;

    /// <summary>The database could not be reached (EX_UNAVAILABLE).</summary>
    public const int DatabaseUnavailableExitCode = 69;

    /// <summary>The exit status and the one-line reason for a failure an operator can act on, or null for a fault of the hub's own.</summary>
    public static (int Code, string Reason)? Explain(Exception e) => e switch
    {
        // Several settings that fail their checks at once (each options class validated on start throws its own): each said,
        // in one line; a setting to mend outranks a database a restart may find, since the restart would fail on the setting.
        AggregateException { InnerExceptions.Count: > 0 } several when several.InnerExceptions.Select(Explain).ToList() is var each && each.All(x => x is not null) =>
            (each.Any(x => x!.Value.Code == SetupExitCode) ? SetupExitCode : each[0]!.Value.Code, string.Join("; ", each.Select(x => x!.Value.Reason).Distinct())),
        OptionsValidationException invalid => (SetupExitCode, string.Join("; ", invalid.Failures)),
        StartRefusedException or KeyRingException or SigningKeyFileException => (SetupExitCode, e.Message),
        // The configuration binder's own words name the setting and its value; the inner exception says what was wrong with it.
        // Secrets are strings, which bind as they are, so a value shown here is a number, a switch or a choice.
        InvalidOperationException { InnerException: FormatException or ArgumentException } binding when Binding().Match(binding.Message) is { Success: true } m =>
            (SetupExitCode, $"the value '{m.Groups[1].Value}' of {m.Groups[2].Value} is not one it takes ({binding.InnerException!.Message.Replace(" (Parameter 'value')", "", StringComparison.Ordinal).TrimEnd('.')})"),
        _ when Database(e) is { } db => db switch
        {
            // The server is down or the network between: a restart may find it.
            { IsTransient: true } => (DatabaseUnavailableExitCode, $"the database could not be reached ({Said(db)})"),
            // The server answered and refused the hub's user, password or database name: a setting to mend.
            Npgsql.PostgresException { SqlState: var state } when state.StartsWith("28", StringComparison.Ordinal) || state == "3D000" =>
                (SetupExitCode, $"the database refused the connection string's user, password or database name ({Said(db)})"),
            // The file named is not there to open, or is not a SQLite database.
            Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 14 or 26 } =>
                (SetupExitCode, $"the SQLite database the connection string names cannot be opened ({Said(db)})"),
            // The database is reachable but holds no hub tables (a command pointed at the wrong database, or at a new one not
            // yet set up): the hub's server creates them as it starts; the command line does not.
            Npgsql.PostgresException { SqlState: "42P01" } or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 1 } when IsMissingTable(db) =>
                (SetupExitCode, $"the database holds no hub tables ({Said(db)}): is it the hub's database? `sharinghub db migrate` or the hub's first start creates them"),
            _ => null,
        },
        _ => null,
    };

    [System.Text.RegularExpressions.GeneratedRegex("^Failed to convert configuration value '(.*)' at '([^']*)'")]
    private static partial System.Text.RegularExpressions.Regex Binding();

    /// <summary>The database's words in one line: PostgreSQL's message alone, without the detail and position lines Npgsql adds.</summary>
    private static string Said(DbException db) =>
        (db is Npgsql.PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : db.Message.Split('\n', 2)[0].TrimEnd()).TrimEnd('.');

    private static bool IsMissingTable(DbException db) =>
        db is Npgsql.PostgresException || db.Message.Contains("no such table", StringComparison.Ordinal);

    /// <summary>The database's own error behind a failure, if that is what it was (EF Core wraps a transient one).</summary>
    private static DbException? Database(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is DbException db)
            {
                return db;
            }
        }
        return null;
    }
}
