using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Core.Crypto;

namespace SharingHub.Crypto.Keys;

/// <summary>
/// Key-encryption keys held in Azure Key Vault: data keys are wrapped and unwrapped by the vault
/// (RSA-OAEP-256 through its REST API), so the key-encryption keys never reach the hub. A key id is
/// the vault key's full versioned URL; an id outside the configured vault is refused (a crafted id in
/// the database must not make the hub call elsewhere). Any failure reads as the key being unavailable.
/// </summary>
public sealed class AzureKeyVaultKeyProvider(HttpClient http, TokenCredential credential, AzureKeyVaultOptions options, TimeProvider clock)
    : IKeyEncryptionKeyProvider
{
    private const string ApiVersion = "7.4";
    private static readonly TimeSpan VersionCacheLifetime = TimeSpan.FromMinutes(10);
    private readonly Dictionary<string, (string Kid, DateTimeOffset At)> _versions = new(StringComparer.Ordinal);
    private AccessToken _token;

    private Uri Vault => options.VaultUri ?? throw new InvalidOperationException($"{AzureKeyVaultOptions.Section}:VaultUri is not set");

    public string CurrentKekId => CurrentVersion(options.KeyName);

    public string KekIdFor(string agency) =>
        options.AgencyKeyNames.TryGetValue(agency, out var name) ? CurrentVersion(name) : CurrentKekId;

    public byte[] Wrap(string kekId, ReadOnlySpan<byte> dataKey) => Operation(kekId, "wrapkey", dataKey.ToArray());

    public byte[] Unwrap(string kekId, ReadOnlySpan<byte> wrappedKey) => Operation(kekId, "unwrapkey", wrappedKey.ToArray());

    private byte[] Operation(string kekId, string operation, byte[] value)
    {
        if (!Uri.TryCreate(kekId, UriKind.Absolute, out var key) || !key.AbsoluteUri.StartsWith(new Uri(Vault, "keys/").AbsoluteUri, StringComparison.OrdinalIgnoreCase))
        {
            throw new KeyUnavailableException("key-encryption key id is not in the configured vault");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{key.AbsoluteUri.TrimEnd('/')}/{operation}?api-version={ApiVersion}")
        {
            Content = JsonContent.Create(new { alg = "RSA-OAEP-256", value = Base64UrlEncoder.Encode(value) }),
        };
        var body = Send(request, $"{operation} with {key.AbsolutePath}");
        return Base64UrlEncoder.DecodeBytes(body.GetProperty("value").GetString());
    }

    private string CurrentVersion(string name)
    {
        lock (_versions)
        {
            if (_versions.TryGetValue(name, out var cached) && clock.GetUtcNow() - cached.At < VersionCacheLifetime)
            {
                return cached.Kid;
            }
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Vault, $"keys/{Uri.EscapeDataString(name)}?api-version={ApiVersion}"));
        var kid = Send(request, $"reading key {name}").GetProperty("key").GetProperty("kid").GetString()
            ?? throw new KeyUnavailableException($"the vault returned no id for key {name}");
        lock (_versions)
        {
            _versions[name] = (kid, clock.GetUtcNow());
        }
        return kid;
    }

    private JsonElement Send(HttpRequestMessage request, string what)
    {
        try
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token());
            using var response = http.Send(request);
            if (!response.IsSuccessStatusCode)
            {
                throw new KeyUnavailableException($"the key vault refused {what} ({(int)response.StatusCode})");
            }
            using var stream = response.Content.ReadAsStream();
            return JsonDocument.Parse(stream).RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new KeyUnavailableException($"the key vault could not be used for {what}", e);
        }
    }

    private string Token()
    {
        if (_token.Token is null || _token.ExpiresOn <= clock.GetUtcNow().AddMinutes(5))
        {
            _token = credential.GetToken(new TokenRequestContext(["https://vault.azure.net/.default"]), CancellationToken.None);
        }
        return _token.Token;
    }
}

/// <summary>In vault mode the blind-index key still lives in the local key file (it is never sent anywhere); key-encryption keys live in the vault.</summary>
public sealed class VaultWithLocalIndexKey(AzureKeyVaultKeyProvider vault, LocalKeyRing local) : IKeyEncryptionKeyProviderWithIndexKey
{
    public byte[] BlindIndexKey => local.BlindIndexKey;
    public string CurrentKekId => vault.CurrentKekId;
    public string KekIdFor(string agency) => vault.KekIdFor(agency);
    public byte[] Wrap(string kekId, ReadOnlySpan<byte> dataKey) => vault.Wrap(kekId, dataKey);
    // A data key still wrapped by the local ring (from before the switch to the vault) stays readable until
    // `sharinghub keys move-to-vault` re-wraps it; new keys and re-wraps always go to the vault.
    public byte[] Unwrap(string kekId, ReadOnlySpan<byte> wrappedKey) =>
        local.KekIds.Contains(kekId) ? local.Unwrap(kekId, wrappedKey) : vault.Unwrap(kekId, wrappedKey);
}
