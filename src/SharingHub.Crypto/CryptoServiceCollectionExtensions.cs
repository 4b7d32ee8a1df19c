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
        services.TryAddSingleton<IKeyEncryptionKeyProviderWithIndexKey>(sp =>
            LocalKeyRing.OpenOrCreate(sp.GetRequiredService<IOptions<LocalKeyRingOptions>>().Value.Path));
        services.TryAddSingleton<IKeyEncryptionKeyProvider>(sp => sp.GetRequiredService<IKeyEncryptionKeyProviderWithIndexKey>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DataKeyRing>();
        services.TryAddSingleton<IFieldCipher, AesGcmFieldCipher>();
        services.TryAddSingleton<IBlindIndexer, HmacBlindIndexer>();
        return services;
    }
}
