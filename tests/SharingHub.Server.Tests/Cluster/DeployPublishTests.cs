using System.Diagnostics;
using System.Net;
using System.Reflection.PortableExecutable;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Cluster;

/// <summary>
/// The image's build cannot run here (no container runtime), but its publish commands can: they are run as the
/// Dockerfile writes them (after the solution's restore, with --no-restore), and what they make is checked the way a
/// node uses it: compiled ahead of time, and a hub that starts and reports ready.
/// </summary>
public sealed partial class DeployFilesTests
{
    [Fact]
    public async Task Given_the_images_publish_commands_then_they_make_a_hub_and_cli_compiled_ahead_of_time_and_the_hub_starts_and_is_ready()
    {
        var output = Directory.CreateTempSubdirectory("sharinghub-publish-");
        try
        {
            var commands = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile"))
                .Select(line => line.Trim().TrimStart('&').Trim().TrimEnd('\\').Trim())
                .Where(line => line.StartsWith("dotnet publish ", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(2, commands.Count);
            foreach (var command in commands)
            {
                // Only the output folder is the test's own; every other argument is the Dockerfile's.
                var arguments = command["dotnet ".Length..].Replace(" -o /out/", $" -o {output.FullName}/", StringComparison.Ordinal);
                var published = await RunAsync("dotnet", arguments, RepositoryRoot(), TimeSpan.FromMinutes(6));
                Assert.True(published.ExitCode == 0, $"dotnet {arguments}\n{published.Output}");
            }
            var hub = Path.Combine(output.FullName, "hub");

            // ReadyToRun: the hub, its libraries and the packages it leans on at start carry native code; the build does not.
            Assert.True(ReadyToRun(Path.Combine(hub, "SharingHub.Server.dll")));
            Assert.True(ReadyToRun(Path.Combine(hub, "SharingHub.Data.dll")));
            Assert.True(ReadyToRun(Path.Combine(hub, "Microsoft.OData.Core.dll")));
            Assert.True(ReadyToRun(Path.Combine(output.FullName, "cli", "sharinghub.dll")));
            Assert.False(ReadyToRun(typeof(Program).Assembly.Location));
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(hub, "policies"), "*.yaml", SearchOption.AllDirectories));

            // The published hub starts on an empty data folder and reports ready, as a node does behind its load balancer.
            await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
            var port = Loopback.FreePort();
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = database.Folder,
            };
            foreach (var argument in new[] { Path.Combine(hub, "SharingHub.Server.dll"), "--urls", $"http://127.0.0.1:{port}" })
            {
                start.ArgumentList.Add(argument);
            }
            foreach (var (key, value) in database.Settings)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            using var process = Process.Start(start)!;
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
                var ready = false;
                var clock = Stopwatch.StartNew();
                while (!ready && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120))
                {
                    try
                    {
                        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
                        ready = health.StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                        // Not listening yet.
                    }
                    if (!ready)
                    {
                        await Task.Delay(250);
                    }
                }
                Assert.True(ready, process.HasExited ? $"the published hub stopped: exit {process.ExitCode}\n{await errors}" : "the published hub was not ready within two minutes");
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
                await process.WaitForExitAsync();
                _ = await log;
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    /// <summary>Whether the assembly carries ReadyToRun native code (its CLI header names a managed native header).</summary>
    private static bool ReadyToRun(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        return reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string directory, TimeSpan limit)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"still running after {limit}; killed\n{await output}\n{await error}");
        }
        return (process.ExitCode, await output + "\n" + await error);
    }
}
