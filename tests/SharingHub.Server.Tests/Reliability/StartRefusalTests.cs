using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>
/// A production node started as it must not be (demo data, a setting missing) stops before it serves anything, with exit
/// status 78 and the reason alone on standard error, as an operator reads it in the journal.
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
    }
}
