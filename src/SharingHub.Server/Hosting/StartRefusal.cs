using Microsoft.Extensions.Options;
using SharingHub.Core;

namespace SharingHub.Server.Hosting;

/// <summary>How the hub's process ends when it cannot start as it is set up.</summary>
internal static class StartRefusal
{
    /// <summary>The exit status of a hub that cannot start as it is set up (EX_CONFIG): a setting to mend, not a restart.</summary>
    public const int ExitCode = 78;

    /// <summary>
    /// Runs the hub; a setting it cannot run with (options that fail validation, a refusal of its own such as another process
    /// on its SQLite file) ends the process with the reason alone on standard error and <see cref="ExitCode"/>, no stack trace.
    /// Only as its own process: a test host running this entry point hears the exception itself.
    /// </summary>
    public static async Task<int> RunOrExplainAsync(this WebApplication app)
    {
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is OptionsValidationException or StartRefusedException && System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly)
        {
            var reasons = e is OptionsValidationException invalid ? invalid.Failures : [e.Message];
            await Console.Error.WriteLineAsync("sharinghub: the hub cannot start: " + string.Join("; ", reasons));
            return ExitCode;
        }
    }
}
