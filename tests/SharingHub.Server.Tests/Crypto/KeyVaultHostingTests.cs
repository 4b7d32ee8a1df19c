using System.Net;
using Azure.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Crypto;

public sealed class KeyVaultHostingTests
{
    [Fact]
    public async Task Given_a_key_vault_configured_then_the_hub_wraps_its_data_keys_there_and_serves_demo_data()
    {
        await using var vault = await StubKeyVault.StartAsync();
        vault.CreateKey("sharinghub-kek");
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new VaultHubFactory(database, new Dictionary<string, string?>
        {
            ["SharingHub:KeyVault:VaultUri"] = vault.Uri.AbsoluteUri,
            ["SharingHub:Demo:Enabled"] = "true",
            ["SharingHub:Demo:Families"] = "2",
        });
        using var client = hub.CreateClient();

        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var keys = hub.Services.GetRequiredService<IDataKeyStore>().All();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.StartsWith(new Uri(vault.Uri, "keys/sharinghub-kek/").AbsoluteUri, k.KekId, StringComparison.Ordinal));
    }

    private sealed class VaultHubFactory(TestDatabase database, IReadOnlyDictionary<string, string?> settings) : HubFactory(database, settings: settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<TokenCredential>(new StubVaultCredential()));
        }
    }
}
