using System.Collections.Concurrent;
using System.Security.Cryptography;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Fields;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto.Tests.Fields;

public sealed class AesGcmFieldCipherTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sharinghub-crypto-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryDataKeyStore _store = new();
    private readonly AesGcmFieldCipher _cipher;

    public AesGcmFieldCipherTests()
    {
        var ring = LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json"));
        _cipher = new AesGcmFieldCipher(new DataKeyRing(_store, ring, TimeProvider.System));
    }

    private static FieldContext Field(Guid? record = null, string name = "Summary", string agency = "police", string dataClass = "police.incident") =>
        new(record ?? Guid.Parse("0b1f4c0e-7d43-4c55-9a51-0cd7d2d8a001"), name, agency, dataClass);

    [Fact]
    public void Given_a_sensitive_value_when_encrypted_and_decrypted_in_place_then_it_round_trips()
    {
        var value = _cipher.Encrypt("Police attended; child present. ünïcödé", Field());
        Assert.Equal("Police attended; child present. ünïcödé", _cipher.Decrypt(value, Field()).Value);
        Assert.Equal("police/police.incident/1", value.KeyId);
    }

    [Fact]
    public void Given_the_same_value_encrypted_twice_then_nonces_and_ciphertexts_differ()
    {
        var a = _cipher.Encrypt("same", Field());
        var b = _cipher.Encrypt("same", Field());
        Assert.False(a.Nonce.AsSpan().SequenceEqual(b.Nonce));
        Assert.False(a.Ciphertext.AsSpan().SequenceEqual(b.Ciphertext));
    }

    [Fact]
    public void Given_any_single_bit_flipped_in_the_stored_form_when_decrypted_then_it_fails()
    {
        var stored = _cipher.Encrypt("Missing from home overnight", Field()).ToBytes();
        for (var bit = 0; bit < stored.Length * 8; bit++)
        {
            var copy = (byte[])stored.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.ThrowsAny<Exception>(() =>
            {
                var value = EncryptedValue.FromBytes(copy);
                var result = _cipher.Decrypt(value, Field());
                // A flipped key id names a key that does not exist: unavailable, never the plaintext.
                if (!result.IsAvailable)
                {
                    throw new CryptographicException("unavailable");
                }
            });
        }
    }

    [Fact]
    public void Given_a_value_moved_to_another_record_when_decrypted_then_it_fails() =>
        Assert.Throws<AuthenticationTagMismatchException>(() =>
            _cipher.Decrypt(_cipher.Encrypt("secret", Field()), Field(record: Guid.NewGuid())));

    [Fact]
    public void Given_a_value_moved_to_another_field_of_the_same_record_when_decrypted_then_it_fails() =>
        Assert.Throws<AuthenticationTagMismatchException>(() =>
            _cipher.Decrypt(_cipher.Encrypt("secret", Field(name: "Summary")), Field(name: "Detail")));

    [Fact]
    public void Given_two_agencies_when_they_encrypt_then_each_uses_its_own_data_key()
    {
        var police = _cipher.Encrypt("x", Field(agency: "police", dataClass: "police.incident"));
        var health = _cipher.Encrypt("x", Field(agency: "health", dataClass: "health.clinical"));
        Assert.NotEqual(police.KeyId, health.KeyId);
        Assert.Equal(2, _store.Count);
    }

    [Fact]
    public void Given_a_destroyed_data_key_when_its_field_is_read_then_it_is_unavailable_not_an_error()
    {
        var value = _cipher.Encrypt("retention ended", Field(agency: "education", dataClass: "education.attendance"));
        var freshCipher = new AesGcmFieldCipher(new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System));
        _store.Destroy(value.KeyId);
        Assert.False(freshCipher.Decrypt(value, Field(agency: "education", dataClass: "education.attendance")).IsAvailable);
    }

    [Fact]
    public void Given_many_threads_creating_the_first_key_for_a_class_then_all_agree_on_one_key()
    {
        var ids = new ConcurrentBag<string>();
        Parallel.For(0, 64, i => ids.Add(new AesGcmFieldCipher(new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System))
            .Encrypt("v", Field(agency: "probation", dataClass: "probation.risk")).KeyId));
        Assert.Single(ids.Distinct());
    }

    [Fact]
    public void Given_a_bulk_load_of_new_people_when_their_keys_are_prepared_then_each_gets_its_own_first_key_and_shredded_scopes_never_reuse_one()
    {
        var (shredded, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        FieldContext Name(Guid person) => new(person, "FamilyName", "la", "person.demographics", person);
        var ring = new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System);
        var cipher = new AesGcmFieldCipher(ring);
        var old = cipher.Encrypt("Before", Name(shredded));
        ring.DestroySubject(shredded);
        var before = _store.Count;

        ring.PrepareNew([.. new[] { shredded, second, third, second }.Select(p => ("la", FieldContext.SubjectScope("person.demographics", p)))]);

        Assert.Equal(before + 2, _store.Count);
        var secondName = cipher.Encrypt("Secondname", Name(second));
        var thirdName = cipher.Encrypt("Thirdname", Name(third));
        Assert.Equal(before + 2, _store.Count);
        Assert.Equal($"la/person.demographics@{second:N}/1", secondName.KeyId);
        Assert.NotEqual(secondName.KeyId, thirdName.KeyId);
        // The shredded person's destroyed first key is not made again: their next write starts generation 2.
        Assert.Equal($"la/person.demographics@{shredded:N}/2", cipher.Encrypt("After", Name(shredded)).KeyId);
        Assert.False(cipher.Decrypt(old, Name(shredded)).IsAvailable);
        // Another process reads the prepared keys from the store.
        var other = new AesGcmFieldCipher(new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System));
        Assert.Equal("Secondname", other.Decrypt(secondName, Name(second)).Value);
    }

    [Fact]
    public void Given_a_page_of_people_each_under_their_own_key_when_prefetched_then_the_store_is_read_once_and_a_shredded_key_stays_unavailable()
    {
        FieldContext Name(Guid person) => new(person, "FamilyName", "la", "person.demographics", person);
        var people = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();
        var sealedNames = people.Select(p => _cipher.Encrypt($"Name{p:N}", Name(p))).ToList();
        var shredder = new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System);
        shredder.DestroySubject(people[7]);
        var reader = new AesGcmFieldCipher(new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System));
        var before = _store.Reads;

        reader.Prefetch(sealedNames);
        var opened = people.Select((p, i) => (Person: p, Plain: i == 7 ? (FieldPlaintext?)null : reader.Decrypt(sealedNames[i], Name(p)))).Where(x => x.Plain is not null).ToList();

        Assert.Equal(before + 1, _store.Reads);
        Assert.Equal(39, opened.Count);
        Assert.All(opened, x => Assert.Equal($"Name{x.Person:N}", x.Plain!.Value.Value));
        Assert.False(reader.Decrypt(sealedNames[7], Name(people[7])).IsAvailable);
    }

    [Fact]
    public void Given_two_people_of_one_agency_when_one_is_crypto_shredded_then_only_their_own_fields_are_unavailable()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        FieldContext Name(Guid person) => new(person, "FamilyName", "la", "person.demographics", person);
        var firstName = _cipher.Encrypt("Shredtest", Name(first));
        var secondName = _cipher.Encrypt("Keeptest", Name(second));
        var caseNote = _cipher.Encrypt("A note about both", Field(agency: "la", dataClass: "la.social-care"));
        Assert.NotEqual(firstName.KeyId, secondName.KeyId);
        Assert.Equal($"la/person.demographics@{first:N}/1", firstName.KeyId);

        var destroyed = new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System).DestroySubject(first);

        Assert.Equal([firstName.KeyId], destroyed.Select(k => k.KeyId));
        var fresh = new AesGcmFieldCipher(new DataKeyRing(_store, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), TimeProvider.System));
        Assert.False(fresh.Decrypt(firstName, Name(first)).IsAvailable);
        Assert.Equal("Keeptest", fresh.Decrypt(secondName, Name(second)).Value);
        Assert.Equal("A note about both", fresh.Decrypt(caseNote, Field(agency: "la", dataClass: "la.social-care")).Value);
        // A new write for the shredded person gets a new key generation: the destroyed one is never reused.
        Assert.Equal($"la/person.demographics@{first:N}/2", fresh.Encrypt("New details", Name(first)).KeyId);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

internal sealed class InMemoryDataKeyStore : IDataKeyStore
{
    private readonly ConcurrentDictionary<string, WrappedDataKey> _keys = new();

    public int Count => _keys.Count;

    public WrappedDataKey? Find(string keyId)
    {
        Reads++;
        return _keys.GetValueOrDefault(keyId);
    }

    public WrappedDataKey? FindActive(string agency, string dataClass)
    {
        var found = _keys.Values.Where(k => k.Agency == agency && k.DataClass == dataClass && k.DestroyedAt is null).MaxBy(k => k.Generation);
        var then = AfterFindActive;
        AfterFindActive = null;
        then?.Invoke();
        return found;
    }

    /// <summary>Another writer's work, once, between the next look for an active key and what its caller does with the answer.</summary>
    public Action? AfterFindActive { get; set; }

    public bool TryAdd(WrappedDataKey key) => _keys.TryAdd(key.KeyId, key);

    public bool TryAddAll(IReadOnlyCollection<WrappedDataKey> keys)
    {
        lock (_keys)
        {
            if (keys.Any(k => _keys.ContainsKey(k.KeyId)))
            {
                return false;
            }
            foreach (var key in keys)
            {
                _keys[key.KeyId] = key;
            }
            return true;
        }
    }

    public int Reads { get; private set; }

    public IReadOnlyList<WrappedDataKey> FindMany(IReadOnlyCollection<string> keyIds)
    {
        Reads++;
        return keyIds.Select(_keys.GetValueOrDefault).OfType<WrappedDataKey>().ToList();
    }

    public void Destroy(string keyId) => _keys[keyId] = _keys[keyId] with { DestroyedAt = DateTimeOffset.UtcNow };

    public IReadOnlyList<WrappedDataKey> All() => _keys.Values.OrderBy(k => k.KeyId, StringComparer.Ordinal).ToList();

    public int MaxGeneration(string agency, string dataClass) =>
        _keys.Values.Where(k => k.Agency == agency && k.DataClass == dataClass).Select(k => k.Generation).DefaultIfEmpty(0).Max();

    public IReadOnlyList<WrappedDataKey> OfSubject(string subjectSuffix) =>
        _keys.Values.Where(k => k.DataClass.EndsWith(subjectSuffix, StringComparison.Ordinal)).ToList();

    public void Replace(WrappedDataKey key) => _keys[key.KeyId] = key;
}
