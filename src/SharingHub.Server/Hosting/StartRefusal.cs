using System.Data.Common;
using Microsoft.Extensions.Options;
using SharingHub.Core;
using SharingHub.Crypto.Keys;
using SharingHub.Crypto.Signing;

namespace SharingHub.Server.Hosting;

/// <summary>How the hub's process ends when it cannot start.</summary>
internal static partial class StartRefusal
{
    /// <summary>The exit status of a hub that cannot start as it is set up (EX_CONFIG): a setting to mend, not a restart.</summary>
    public const int ExitCode = 78;

    /// <summary>The exit status of a hub whose database could not be reached or opened as it started (EX_UNAVAILABLE): a restart may find it.</summary>
    public const int DatabaseUnavailableExitCode = 69;

    /// <summary>
    /// Builds and runs the hub. What an operator must mend ends the process with the reason alone on standard error, no stack
    /// trace: a setting it cannot run with (options that fail validation, a value of the wrong kind, a refusal of its own such
    /// as another process on its SQLite file), a key ring or signing-key file it cannot open; exit <see cref="ExitCode"/>. A
    /// database it cannot reach as it starts ends it the same way with <see cref="DatabaseUnavailableExitCode"/>, which a
    /// supervisor restarts. Only as its own process: a test host running this entry point hears the exception itself.
    /// </summary>
    public static async Task<int> RunOrExplainAsync(Func<WebApplication> build)
    {
        try
        {
            await build().RunAsync();
            return 0;
        }
        catch (Exception e) when (Explained(e) is not null && System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly)
        {
            var (code, reason) = Explained(e)!.Value;
            await Console.Error.WriteLineAsync("sharinghub: the hub cannot start: " + reason);
            return code;
        }
    }

    /// <summary>The exit status and the one-line reason for a failure to start an operator can act on, or null for a fault of the hub's own.</summary>
    internal static (int Code, string Reason)? Explained(Exception e) => e switch
    {
        OptionsValidationException invalid => (ExitCode, string.Join("; ", invalid.Failures)),
        StartRefusedException or KeyRingException or SigningKeyFileException => (ExitCode, e.Message),
        // The configuration binder's own words name the setting and its value; the inner exception says what was wrong with it.
        // Secrets are strings, which bind as they are, so a value shown here is a number, a switch or a choice.
        InvalidOperationException { InnerException: FormatException or ArgumentException } binding when Binding().Match(binding.Message) is { Success: true } m =>
            (ExitCode, $"the value '{m.Groups[1].Value}' of {m.Groups[2].Value} is not one it takes ({binding.InnerException!.Message.Replace(" (Parameter 'value')", "", StringComparison.Ordinal).TrimEnd('.')})"),
        _ when Database(e) is { } db => db switch
        {
            // The server is down or the network between: a restart may find it.
            { IsTransient: true } => (DatabaseUnavailableExitCode, $"its database could not be reached ({db.Message.TrimEnd('.')})"),
            // The server answered and refused the hub's user, password or database name: a setting to mend.
            Npgsql.PostgresException { SqlState: var state } when state.StartsWith("28", StringComparison.Ordinal) || state == "3D000" =>
                (ExitCode, $"its database refused the connection as set up in SharingHub:Database:ConnectionString ({db.Message.TrimEnd('.')})"),
            // The file named is not there to open, or is not a SQLite database.
            Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 14 or 26 } =>
                (ExitCode, $"its SQLite database, named in SharingHub:Database:ConnectionString, cannot be opened ({db.Message.TrimEnd('.')})"),
            _ => null,
        },
        _ => null,
    };

    [System.Text.RegularExpressions.GeneratedRegex("^Failed to convert configuration value '(.*)' at '([^']*)'")]
    private static partial System.Text.RegularExpressions.Regex Binding();

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
