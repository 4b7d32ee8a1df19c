using SharingHub.Core.Crypto;
using SharingHub.Crypto.Fields;
using SharingHub.Crypto.Keys;
using SharingHub.Crypto.Tests.Fields;
using SharingHub.Testing;

namespace SharingHub.Crypto.Tests.Keys;

/// <summary>The Key Vault provider against a stub vault on 127.0.0.1 with real RSA-OAEP-256 keys.</summary>
public sealed class AzureKeyVaultTests : IAsyncLifetime
{
    private StubKeyVault _vault = null!;
    private readonly InMemoryDataKeyStore _store = new();
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _vault = await StubKeyVault.StartAsync();
        _vault.CreateKey("hub-kek");
        _vault.CreateKey("police-kek");
    }

    private AesGcmFieldCipher Cipher() => new(new DataKeyRing(_store, Provider(), TimeProvider.System));

    private AzureKeyVaultKeyProvider Provider() => new(_http, new StubVaultCredential(),
        new AzureKeyVaultOptions { VaultUri = _vault.Uri, KeyName = "hub-kek", AgencyKeyNames = { ["police"] = "police-kek" } }, TimeProvider.System);

    private static FieldContext Field(string agency, string dataClass) => new(Guid.Parse("5e1f0000-0000-4000-8000-000000000001"), "Detail", agency, dataClass);

    [Fact]
    public void Given_a_vault_then_data_keys_are_wrapped_by_it_and_values_round_trip()
    {
        var value = Cipher().Encrypt("wrapped in the vault", Field("health", "health.clinical"));

        Assert.Equal("wrapped in the vault", Cipher().Decrypt(value, Field("health", "health.clinical")).Value);
        var stored = _store.All().Single();
        Assert.StartsWith(new Uri(_vault.Uri, "keys/hub-kek/").AbsoluteUri, stored.KekId, StringComparison.Ordinal);
        Assert.Equal(256, stored.WrappedKey.Length);
    }

    [Fact]
    public void Given_the_vault_down_then_fields_read_as_unavailable_and_writes_fail_closed()
    {
        var value = Cipher().Encrypt("needs the vault", Field("health", "health.clinical"));
        _vault.Down = true;

        Assert.False(Cipher().Decrypt(value, Field("health", "health.clinical")).IsAvailable);
        Assert.Throws<KeyUnavailableException>(() => Cipher().Encrypt("x", Field("la", "la.social-care")));
    }

    [Fact]
    public void Given_an_agency_key_deleted_in_the_vault_then_only_that_agencys_fields_become_unavailable()
    {
        var police = Cipher().Encrypt("police held", Field("police", "police.incident"));
        var health = Cipher().Encrypt("health held", Field("health", "health.clinical"));
        Assert.Contains("police-kek", _store.All().Single(k => k.Agency == "police").KekId, StringComparison.Ordinal);

        _vault.DeleteKey("police-kek");

        Assert.False(Cipher().Decrypt(police, Field("police", "police.incident")).IsAvailable);
        Assert.Equal("health held", Cipher().Decrypt(health, Field("health", "health.clinical")).Value);
    }

    [Fact]
    public void Given_data_keys_from_the_local_ring_when_the_hub_moves_to_the_vault_then_they_stay_readable_and_move_under_the_vault_keys()
    {
        var folder = Directory.CreateTempSubdirectory("sharinghub-move-");
        try
        {
            var local = LocalKeyRing.OpenOrCreate(Path.Combine(folder.FullName, "keyring.json"), null);
            var before = new AesGcmFieldCipher(new DataKeyRing(_store, local, TimeProvider.System));
            var health = before.Encrypt("sealed before the move", Field("health", "health.clinical"));
            var police = before.Encrypt("police, before the move", Field("police", "police.incident"));
            Assert.All(_store.All(), k => Assert.Contains(k.KekId, local.KekIds));

            var moved = new VaultWithLocalIndexKey(Provider(), local);
            var ring = new DataKeyRing(_store, moved, TimeProvider.System);
            var after = new AesGcmFieldCipher(ring);
            Assert.Equal("sealed before the move", after.Decrypt(health, Field("health", "health.clinical")).Value);

            Assert.Equal(2, ring.Rewrap());

            var vaultKeys = new Uri(_vault.Uri, "keys/").AbsoluteUri;
            Assert.All(_store.All(), k => Assert.StartsWith(vaultKeys, k.KekId, StringComparison.Ordinal));
            Assert.Contains("police-kek", _store.All().Single(k => k.Agency == "police").KekId, StringComparison.Ordinal);
            var fresh = new AesGcmFieldCipher(new DataKeyRing(_store, moved, TimeProvider.System));
            Assert.Equal("police, before the move", fresh.Decrypt(police, Field("police", "police.incident")).Value);
            Assert.Equal(0, ring.Rewrap());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Given_a_key_id_outside_the_vault_then_the_provider_refuses_to_call_it()
    {
        var calls = _vault.Calls;
        Assert.Throws<KeyUnavailableException>(() => Provider().Unwrap("http://127.0.0.1:1/keys/hub-kek/v1", new byte[256]));
        Assert.Throws<KeyUnavailableException>(() => Provider().Unwrap("not a url", new byte[256]));
        Assert.Equal(calls, _vault.Calls);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _vault.DisposeAsync();
    }
}
