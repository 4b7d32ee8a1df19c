using System.Diagnostics;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>The operator's command line (sharinghub), run as its own process the way an operator runs it, against a test database's settings.</summary>
internal static class HubCli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
    }

    /// <summary>Runs a command with the database and key files of <paramref name="database"/> given as the hub's own environment settings.</summary>
    public static Task<Result> RunAsync(TestDatabase database, params string[] arguments) => RunDllAsync(Dll, database, arguments, development: false);

    /// <summary>Runs the hub server itself (SharingHub.Server.dll) as its own process on <paramref name="database"/>, until it exits or three minutes pass.</summary>
    public static Task<Result> RunServerAsync(TestDatabase database, params string[] arguments) =>
        RunDllAsync(Built("src/SharingHub.Server", "SharingHub.Server.dll"), database, arguments, development: true);

    /// <summary>Runs the hub server as a production node would start it (no development environment), until it exits or three minutes pass.</summary>
    public static Task<Result> RunProductionServerAsync(TestDatabase database, params string[] arguments) =>
        RunDllAsync(Built("src/SharingHub.Server", "SharingHub.Server.dll"), database, arguments, development: false);

    private static async Task<Result> RunDllAsync(string dll, TestDatabase database, string[] arguments, bool development)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Not the repository: no appsettings or data/ folder of the developer's own hub is picked up.
            WorkingDirectory = database.Folder,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in database.Settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        if (development)
        {
            // As a developer starts it: production's start-up checks (contacts, TLS address) are not what is tested.
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Still running (a server that should have stopped): it goes, and the caller sees why.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new Result(-1, await output, "still running after three minutes; killed\n" + await error);
        }
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>sharinghub.dll as the solution built it, in the same configuration as these tests.</summary>
    private static string Dll => Built("src/SharingHub.Cli", "sharinghub.dll");

    private static string Built(string project, string file)
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SharingHub.sln")))
        {
            root = root.Parent;
        }
        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("the repository root (SharingHub.sln) is not above the test binaries"),
            project, "bin", configuration, "net10.0", file);
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is not built (the test project builds it first)");
    }
}
