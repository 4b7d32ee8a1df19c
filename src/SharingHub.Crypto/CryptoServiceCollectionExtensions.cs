using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Fields;
using SharingHub.Crypto.Indexes;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto;

public static class CryptoServiceCollectionExtensions
{
    /// <summary>Field encryption and blind indexes on the local key ring; a host may replace the key provider.</summary>
    public static IServiceCollection AddSharingHubCrypto(this IServiceCollection services)
    {
        services.AddOptions<LocalKeyRingOptions>()
            .BindConfiguration("SharingHub:KeyRing")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Path), "SharingHub:KeyRing:Path must name the key file")
            .ValidateOnStart();
        services.AddOptions<AzureKeyVaultOptions>().BindConfiguration(AzureKeyVaultOptions.Section)
            .Validate(o => o.VaultUri is null || o.VaultUri.Scheme == Uri.UriSchemeHttps || o.VaultUri.IsLoopback, $"{AzureKeyVaultOptions.Section}:VaultUri must be https")
            .ValidateOnStart();
        services.AddHttpClient("sharinghub-keyvault", c => c.Timeout = TimeSpan.FromSeconds(10));
        // DefaultAzureCredential: managed identity in Azure, developer sign-in elsewhere. A host may register another.
        services.TryAddSingleton<Azure.Core.TokenCredential>(_ => new Azure.Identity.DefaultAzureCredential());
        services.TryAddSingleton<IKeyEncryptionKeyProviderWithIndexKey>(sp =>
        {
            var ringOptions = sp.GetRequiredService<IOptions<LocalKeyRingOptions>>().Value;
            var local = ringOptions.CreateIfMissing ? LocalKeyRing.OpenOrCreate(ringOptions.Path) : LocalKeyRing.OpenExisting(ringOptions.Path);
            var vault = sp.GetRequiredService<IOptions<AzureKeyVaultOptions>>().Value;
            return vault.VaultUri is null
                ? local
                : new VaultWithLocalIndexKey(new AzureKeyVaultKeyProvider(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient("sharinghub-keyvault"),
                    sp.GetRequiredService<Azure.Core.TokenCredential>(), vault, sp.GetRequiredService<TimeProvider>()), local);
        });
        services.TryAddSingleton<IKeyEncryptionKeyProvider>(sp => sp.GetRequiredService<IKeyEncryptionKeyProviderWithIndexKey>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DataKeyRing>();
        services.TryAddSingleton<IFieldCipher, AesGcmFieldCipher>();
        services.TryAddSingleton<IBlindIndexer, HmacBlindIndexer>();
        return services;
    }
}
