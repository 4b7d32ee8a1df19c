using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>
/// The operator's command line given what it cannot use (a value of the wrong kind, a file that is not what it should be, a
/// path that is not there, a hub not listening) says what, in one line, with a failing exit status: never a stack trace.
/// </summary>
public sealed class CliFailureTests
{
    public static TheoryData<string[], int, string> Commands() => new()
    {
        { ["keys", "shred", "--subject", "not-a-guid", "--reason", "erasure request"], 2, "sharinghub: Cannot parse argument 'not-a-guid' for option '--subject'; see --help" },
        { ["audit", "verify", "--export", "FOLDER/notes.txt"], 1, "sharinghub: line 1 is not JSON" },
        { ["audit", "verify", "--export", "FOLDER/gone/export.ndjson"], 1, "sharinghub: Could not find a part of the path" },
        { ["audit", "export", "--out", "FOLDER/gone/export.ndjson"], 1, "sharinghub: Could not find a part of the path" },
        { ["client", "token", "--client-id", "mosaic", "--key", "FOLDER/notes.txt"], 1, "sharinghub: No supported key formats were found" },
        { ["keys", "list"], 78, "sharinghub: the database holds no hub tables (SQLite Error 1: 'no such table: DataKeys'): is it the hub's database?" },
        { ["token", "dev-user", "--user", "demo-la-lcpp", "--hub", "http://127.0.0.1:PORT"], 1, "sharinghub: Connection refused (127.0.0.1:" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Given_a_command_with_what_it_cannot_use_then_it_fails_in_one_line_without_a_trace(string[] command, int exitCode, string expected)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await File.WriteAllTextAsync(Path.Combine(database.Folder, "notes.txt"), "minutes of the strategy meeting {");
        _ = SharingHub.Crypto.Keys.LocalKeyRing.OpenOrCreate(database.KeyRingPath);
        var closed = Loopback.FreePort();

        var ran = await HubCli.RunAsync(database,
            [.. command.Select(a => a.Replace("FOLDER", database.Folder, StringComparison.Ordinal).Replace("PORT", closed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))]);

        Assert.True(ran.ExitCode == exitCode, ran.ToString());
        var lines = ran.Error.Trim().Split('\n');
        Assert.True(lines.Length == 1, ran.ToString());
        Assert.StartsWith(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", ran.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys", "rotate-kek")]
    [InlineData("keys", "rotate-signing")]
    [InlineData("audit", "verify")]
    [InlineData("audit", "checkpoint")]
    public async Task Given_a_mistyped_key_ring_path_then_the_command_refuses_it_and_leaves_no_new_ring_behind(string group, string verb)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var ours = await HubCli.RunAsync(database, "demo", "load", "--families", "2");
        Assert.True(ours.ExitCode == 0 && File.Exists(database.KeyRingPath), ours.ToString());
        var mistyped = Path.Combine(database.Folder, "keyrnig.json");

        var ran = await HubCli.RunAsync(database, group, verb, "--key-ring", mistyped);

        Assert.True(ran.ExitCode == 78, ran.ToString());
        Assert.StartsWith($"sharinghub: there is no key ring at {mistyped}", ran.Error.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", ran.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(mistyped), "a command that only uses a key ring made a new one at the mistyped path");
    }

    [Fact]
    public async Task Given_a_new_hub_folder_then_setting_it_up_creates_its_key_ring()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var ring = Path.Combine(database.Folder, "new", "keyring.json");

        var ran = await HubCli.RunAsync(database, "demo", "load", "--families", "2", "--key-ring", ring);

        Assert.True(ran.ExitCode == 0, ran.ToString());
        Assert.True(File.Exists(ring), ran.ToString());
        var listed = await HubCli.RunAsync(database, "keys", "list", "--key-ring", ring);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains("education", listed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_PostgreSQL_database_without_the_hubs_tables_then_a_command_says_so_in_one_line()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        _ = SharingHub.Crypto.Keys.LocalKeyRing.OpenOrCreate(database.KeyRingPath);

        var ran = await HubCli.RunAsync(database, "keys", "list");

        Assert.True(ran.ExitCode == 78, ran.ToString());
        Assert.StartsWith("sharinghub: the database holds no hub tables (42P01: relation \"DataKeys\" does not exist", ran.Error.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ran.Error.Trim(), StringComparison.Ordinal);
    }
}
