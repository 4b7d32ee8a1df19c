using SharingHub.Data.Storage;
using SharingHub.Policies.Loading;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Health;

public sealed class PolicyStartupTests
{
    [Fact]
    public async Task Given_a_broken_policy_file_when_the_hub_starts_then_it_stops_naming_the_file_line_and_reason()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var policies = Path.Combine(database.Folder, "policies");
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "policies"), "*.yaml", SearchOption.AllDirectories))
        {
            var target = Path.Combine(policies, Path.GetRelativePath(Path.Combine(AppContext.BaseDirectory, "policies"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var police = Path.Combine(policies, "rules", "police.yaml");
        File.WriteAllText(police, File.ReadAllText(police).Replace("roles: [lcpp]\n", "roles: [lcpp, constable]\n", StringComparison.Ordinal));
        await using var hub = new HubFactory(database, settings: new Dictionary<string, string?> { ["SharingHub:Policies:Path"] = policies });

        var error = Assert.Throws<PolicyLoadException>(() => hub.CreateClient());

        Assert.Contains(Path.Combine("policies", "rules", "police.yaml") + ":", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown role 'constable'", error.Message, StringComparison.Ordinal);
    }
}
