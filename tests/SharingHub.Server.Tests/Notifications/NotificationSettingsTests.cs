using Microsoft.Extensions.Options;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Notifications;

public sealed class NotificationSettingsTests
{
    [Theory]
    [InlineData("https://niche.police.example/hook", "set SharingHub__Notifications__Endpoints__police__Secret in the environment", "Secret")]
    [InlineData("https://niche.police.example/hook", "short", "Secret")]
    [InlineData("ftp://niche.police.example/hook", "0123456789abcdef0123456789abcdef", "Url")]
    public async Task Given_a_placeholder_or_weak_secret_or_a_bad_url_then_the_hub_refuses_to_start(string url, string secret, string names)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Notifications:Endpoints:police:Url"] = url,
            ["SharingHub:Notifications:Endpoints:police:Secret"] = secret,
        });

        var error = Assert.Throws<OptionsValidationException>(() => hub.CreateClient());

        Assert.Contains(names, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret.Length > 5 ? secret : "\u0000", error.Message, StringComparison.Ordinal);
    }
}
