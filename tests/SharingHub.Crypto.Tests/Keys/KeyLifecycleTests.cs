using SharingHub.Core.Crypto;
using SharingHub.Crypto.Fields;
using SharingHub.Crypto.Keys;
using SharingHub.Crypto.Tests.Fields;
using SharingHub.Testing;

namespace SharingHub.Crypto.Tests.Keys;

/// <summary>Rotation, re-wrapping, an agency's own key-encryption key and its revocation, and crypto-shredding.</summary>
public sealed class KeyLifecycleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharinghub-keys-").FullName;
    private readonly InMemoryDataKeyStore _store = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));

    private LocalKeyRing Ring() => LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json"));

    private (DataKeyRing Keys, AesGcmFieldCipher Cipher) Open()
    {
        var keys = new DataKeyRing(_store, Ring(), _clock);
        return (keys, new AesGcmFieldCipher(keys));
    }

    private static FieldContext Field(string agency, string dataClass) => new(Guid.Parse("1b2c3d4e-0000-4000-8000-000000000001"), "Summary", agency, dataClass);

    [Fact]
    public void Given_a_data_key_rotation_then_new_values_use_the_new_key_and_old_values_still_read()
    {
        var (keys, cipher) = Open();
        var old = cipher.Encrypt("before rotation", Field("health", "health.clinical"));

        var fresh = keys.Rotate("health", "health.clinical");
        var next = cipher.Encrypt("after rotation", Field("health", "health.clinical"));

        Assert.Equal("health/health.clinical/2", fresh);
        Assert.Equal(fresh, next.KeyId);
        Assert.Equal("before rotation", cipher.Decrypt(old, Field("health", "health.clinical")).Value);
        Assert.Equal("after rotation", cipher.Decrypt(next, Field("health", "health.clinical")).Value);
    }

    [Fact]
    public void Given_two_writers_on_a_class_first_value_at_once_then_both_use_one_key_and_no_second_generation_is_made()
    {
        var (_, cipher) = Open();
        var (_, otherCipher) = Open();
        // The other writer (another thread, or another node on the same store) makes the class's first key just after this
        // one looked and found none.
        _store.AfterFindActive = () => otherCipher.Encrypt("theirs", Field("health", "health.clinical"));

        var mine = cipher.Encrypt("mine", Field("health", "health.clinical"));

        Assert.Equal("health/health.clinical/1", mine.KeyId);
        Assert.Equal(["health/health.clinical/1"], _store.All().Select(k => k.KeyId));
        Assert.Equal("mine", otherCipher.Decrypt(mine, Field("health", "health.clinical")).Value);
    }

    [Fact]
    public void Given_a_new_key_encryption_key_then_rewrapping_moves_every_data_key_without_touching_a_ciphertext()
    {
        var (keys, cipher) = Open();
        var value = cipher.Encrypt("wrapped twice", Field("la", "la.social-care"));
        var before = _store.All().Single();
        var ring = Ring();
        var newKek = ring.AddKek();

        var changed = new DataKeyRing(_store, ring, _clock).Rewrap();

        Assert.Equal(1, changed);
        Assert.Equal(newKek, _store.All().Single().KekId);
        Assert.NotEqual(before.WrappedKey, _store.All().Single().WrappedKey);
        var (_, fresh) = Open();
        Assert.Equal("wrapped twice", fresh.Decrypt(value, Field("la", "la.social-care")).Value);
        Assert.NotNull(keys);
    }

    [Fact]
    public void Given_an_agency_that_holds_its_own_key_when_that_key_is_revoked_then_only_its_fields_become_unavailable()
    {
        var ring = Ring();
        ring.AddKek("police");
        var (_, cipher) = Open();
        var police = cipher.Encrypt("police record", Field("police", "police.incident"));
        var health = cipher.Encrypt("health record", Field("health", "health.clinical"));

        var revoked = Ring();
        revoked.RevokeKek(revoked.AgencyKeks["police"]);
        var (_, afterRevocation) = Open();

        Assert.False(afterRevocation.Decrypt(police, Field("police", "police.incident")).IsAvailable);
        Assert.Equal("health record", afterRevocation.Decrypt(health, Field("health", "health.clinical")).Value);
        Assert.Throws<KeyUnavailableException>(() => new DataKeyRing(_store, Ring(), _clock).GetOrCreateActive("police", "police.incident"));
    }

    [Fact]
    public void Given_a_key_shredded_elsewhere_then_a_running_hub_stops_serving_it_within_a_minute_and_other_classes_are_intact()
    {
        var (running, cipher) = Open();
        var shredded = cipher.Encrypt("retention ended", Field("education", "education.attendance"));
        var kept = cipher.Encrypt("still needed", Field("education", "education.welfare"));

        var (cli, _) = Open();
        var destroyed = cli.Destroy(shredded.KeyId);

        Assert.NotNull(destroyed);
        Assert.All(_store.All().Single(k => k.KeyId == shredded.KeyId).WrappedKey, b => Assert.Equal(0, b));
        Assert.Equal("retention ended", cipher.Decrypt(shredded, Field("education", "education.attendance")).Value);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(cipher.Decrypt(shredded, Field("education", "education.attendance")).IsAvailable);
        Assert.Equal("still needed", cipher.Decrypt(kept, Field("education", "education.welfare")).Value);
        var afterShred = cipher.Encrypt("new value", Field("education", "education.attendance"));
        Assert.NotEqual(shredded.KeyId, afterShred.KeyId);
        Assert.NotNull(running);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
