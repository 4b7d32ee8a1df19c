using SharingHub.Data.Storage;

namespace SharingHub.Server.Hosting;

/// <summary>How the hub's process ends when it cannot start.</summary>
internal static class StartRefusal
{
    /// <summary>The exit status of a hub that cannot start as it is set up (EX_CONFIG): a setting to mend, not a restart.</summary>
    public const int ExitCode = OperatorFailures.SetupExitCode;

    /// <summary>
    /// Builds and runs the hub. What an operator must mend ends the process with the reason alone on standard error, no stack
    /// trace: a setting it cannot run with (options that fail validation, a value of the wrong kind, a refusal of its own such
    /// as another process on its SQLite file), a key ring or signing-key file it cannot open; exit <see cref="ExitCode"/>. A
    /// database it cannot reach as it starts ends it the same way with <see cref="OperatorFailures.DatabaseUnavailableExitCode"/>,
    /// which a supervisor restarts. Only as its own process: a test host running this entry point hears the exception itself.
    /// </summary>
    public static async Task<int> RunOrExplainAsync(Func<WebApplication> build)
    {
        try
        {
            await build().RunAsync();
            return 0;
        }
        catch (Exception e) when (OperatorFailures.Explain(e) is var (code, reason) && System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly)
        {
            await Console.Error.WriteLineAsync("sharinghub: the hub cannot start: " + reason);
            return code;
        }
    }
}
