using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>
/// A node started as it must not be (demo data on a production node, a setting missing or of the wrong kind, a key file it
/// cannot read, a database it cannot reach) stops before it serves anything, with the reason alone on standard error, as an
/// operator reads it in the journal: exit 78 for what the operator must mend, 69 for a database a restart may find.
/// </summary>
public sealed class StartRefusalTests
{
    private static readonly string[] Contacts = ["education", "health", "la", "police", "probation"];

    [Fact]
    public async Task Given_demo_data_asked_of_a_production_node_then_it_exits_78_saying_demo_data_is_never_loaded_in_production()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);

        var started = await HubCli.RunProductionServerAsync(database,
            [.. Contacts.Select(a => $"--SharingHub:Mais:Contacts:{a}:Email=ig@{a}.example"), "--urls", "http://127.0.0.1:0", "--demo"]);

        Assert.True(started.ExitCode == 78, started.ToString());
        Assert.Equal("sharinghub: the hub cannot start: demo data is synthetic and is never loaded in Production; remove --demo or SharingHub:Demo:Enabled",
            started.Error.Trim());
        // Its log has also told the operator that linkage does not know how many records the hub will hold.
        Assert.Contains("SharingHub:Linkage:ExpectedRecords is not set", started.Output, StringComparison.Ordinal);
        LogHoldsNoStackTrace(started);
    }

    [Fact]
    public async Task Given_a_production_node_that_says_how_many_records_it_will_hold_then_its_log_has_no_warning_about_linkages_prior()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);

        // Refused for its demo data as above, after its settings are read.
        var started = await HubCli.RunProductionServerAsync(database,
            [.. Contacts.Select(a => $"--SharingHub:Mais:Contacts:{a}:Email=ig@{a}.example"), "--urls", "http://127.0.0.1:0", "--demo",
                "--SharingHub:Linkage:ExpectedRecords=1800000"]);

        Assert.True(started.ExitCode == 78, started.ToString());
        Assert.DoesNotContain("ExpectedRecords", started.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_production_node_without_its_partners_contacts_then_it_exits_78_naming_the_setting_to_add()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);

        var started = await HubCli.RunProductionServerAsync(database, "--urls", "http://127.0.0.1:0");

        Assert.True(started.ExitCode == 78, started.ToString());
        Assert.StartsWith("sharinghub: the hub cannot start: ", started.Error, StringComparison.Ordinal);
        Assert.Contains("SharingHub:Mais:Contacts:<agency>:Phone or :Email", started.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", started.Error, StringComparison.Ordinal);
        LogHoldsNoStackTrace(started);
    }

    [Fact]
    public async Task Given_a_production_node_with_two_settings_wrong_then_it_exits_78_naming_both_in_one_line()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);

        // No partners' contacts, and a link threshold without its review threshold: two options classes fail as the host starts.
        var started = await HubCli.RunProductionServerAsync(database, "--urls", "http://127.0.0.1:0", "--SharingHub:Linkage:LinkAbove=0.99");

        Assert.True(started.ExitCode == 78, started.ToString());
        var line = Assert.Single(started.Error.Trim().Split('\n'));
        Assert.StartsWith("sharinghub: the hub cannot start: ", line, StringComparison.Ordinal);
        Assert.Contains("SharingHub:Linkage: set both LinkAbove and ReviewAbove or neither", line, StringComparison.Ordinal);
        Assert.Contains("SharingHub:Mais:Contacts:<agency>:Phone or :Email", line, StringComparison.Ordinal);
        LogHoldsNoStackTrace(started);
    }

    /// <summary>What is wrong (a name), the settings that make it so, the exit status, and words the one line must hold.</summary>
    public static TheoryData<string, int, string> Setups() => new()
    {
        { "key ring not JSON", 78, "keyring.json is not valid JSON (line 1)" },
        { "signing-key file not JSON", 78, "bad-signing-keys.json is not valid JSON (line 1); restore it from a backup" },
        { "trusted proxy not an address", 78, "SharingHub:Hosting:TrustedProxies: 'proxy.example' is not an IP address" },
        { "engine not one there is", 78, "the value 'Oracle' of SharingHub:Database:Engine is not one it takes" },
        { "number not a number", 78, "the value 'lots' of SharingHub:RateLimits:PersonRequestsPerMinute is not one it takes" },
        { "SQLite file a folder", 78, "SharingHub:Database:ConnectionString names the folder" },
        { "SQLite file not a database", 78, "the SQLite database the connection string names cannot be opened (SQLite Error 26" },
        { "PostgreSQL not listening", 69, "the database could not be reached (Failed to connect to 127.0.0.1:" },
        { "PostgreSQL without that database", 78, "the database refused the connection string's user, password or database name (3D000" },
    };

    [Theory]
    [MemberData(nameof(Setups))]
    public async Task Given_a_node_set_up_as_it_cannot_run_then_it_exits_with_the_reason_alone(string setup, int exitCode, string expected)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var folder = database.Folder;
        string[] settings = setup switch
        {
            "key ring not JSON" => [],
            "signing-key file not JSON" => [$"--SharingHub:Identity:SigningKeyPath={Path.Combine(folder, "bad-signing-keys.json")}"],
            "trusted proxy not an address" => ["--SharingHub:Hosting:TrustedProxies:0=proxy.example"],
            "engine not one there is" => ["--SharingHub:Database:Engine=Oracle"],
            "number not a number" => ["--SharingHub:RateLimits:PersonRequestsPerMinute=lots"],
            "SQLite file a folder" => [$"--SharingHub:Database:ConnectionString=Data Source={folder}"],
            "SQLite file not a database" => [$"--SharingHub:Database:ConnectionString=Data Source={Path.Combine(folder, "notes.txt")}"],
            "PostgreSQL not listening" => ["--SharingHub:Database:Engine=Postgres",
                $"--SharingHub:Database:ConnectionString=Host=127.0.0.1;Port={Loopback.FreePort()};Database=hub;Username=hub;Password=unused;Timeout=3"],
            "PostgreSQL without that database" => ["--SharingHub:Database:Engine=Postgres",
                $"--SharingHub:Database:ConnectionString={(await PostgresServer.GetAsync()).ConnectionString("no_such_database")}"],
            _ => throw new ArgumentOutOfRangeException(nameof(setup), setup, null),
        };
        if (setup == "key ring not JSON")
        {
            Write(database.KeyRingPath, "{\"keys\": [");
        }
        Write(Path.Combine(folder, "bad-signing-keys.json"), "not json");
        Write(Path.Combine(folder, "notes.txt"), new string('x', 4096));

        var started = await HubCli.RunServerAsync(database, [.. settings, "--urls", "http://127.0.0.1:0"]);

        Assert.True(started.ExitCode == exitCode, started.ToString());
        var lines = started.Error.Trim().Split('\n');
        Assert.True(lines.Length == 1, started.ToString());
        Assert.StartsWith("sharinghub: the hub cannot start: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("unused", started.Error, StringComparison.Ordinal);
        LogHoldsNoStackTrace(started);
    }

    /// <summary>
    /// The log (standard output, JSON lines) does not say the failure again as the host's "Hosting failed to start" with the
    /// exception's stack trace: the reason is on standard error, and a stack trace is never in the log. It is still a log: the
    /// node wrote its entries as it started (the linkage warning, the key ring opened), each a JSON line.
    /// </summary>
    private static void LogHoldsNoStackTrace(HubCli.Result started)
    {
        Assert.False(started.Output.Contains("Hosting failed to start", StringComparison.Ordinal), started.ToString());
        Assert.False(started.Output.Contains("   at ", StringComparison.Ordinal), started.ToString());
        Assert.All(started.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("{", line.TrimStart(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Given_the_command_line_meets_a_key_ring_it_cannot_read_or_a_database_it_cannot_reach_then_it_says_so_in_one_line()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        Write(database.KeyRingPath, "{\"keys\": [");

        var broken = await HubCli.RunAsync(database, "audit", "verify");
        await using var elsewhere = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        _ = SharingHub.Crypto.Keys.LocalKeyRing.OpenOrCreate(elsewhere.KeyRingPath);
        var away = await HubCli.RunAsync(elsewhere, "audit", "verify", "--engine", "Postgres",
            "--connection", $"Host=127.0.0.1;Port={Loopback.FreePort()};Database=hub;Username=hub;Password=unused;Timeout=3");

        Assert.True(broken.ExitCode == 78, broken.ToString());
        Assert.Matches("^sharinghub: key ring .*keyring.json is not valid JSON \\(line 1\\)$", broken.Error.Trim());
        Assert.True(away.ExitCode == 69, away.ToString());
        Assert.StartsWith("sharinghub: the database could not be reached (Failed to connect to 127.0.0.1:", away.Error.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("\n", away.Error.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("unused", away.Error, StringComparison.Ordinal);
    }

    /// <summary>Writes a file readable by its owner alone, as the hub's key files must be (else that is what it refuses).</summary>
    private static void Write(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

}
