using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using SharingHub.Core.Crypto;

namespace SharingHub.Crypto.Keys;

/// <summary>
/// Data keys per owning agency and data class, created on first use, wrapped by the current
/// key-encryption key and cached unwrapped in memory so the read path never unwraps twice.
/// </summary>
public sealed class DataKeyRing(IDataKeyStore store, IKeyEncryptionKeyProvider keks, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, byte[]> _unwrapped = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Agency, string DataClass), string> _activeIds = new();

    public (string KeyId, byte[] Key) GetOrCreateActive(string agency, string dataClass)
    {
        if (_activeIds.TryGetValue((agency, dataClass), out var cachedId) && _unwrapped.TryGetValue(cachedId, out var cachedKey))
        {
            return (cachedId, cachedKey);
        }
        var active = store.FindActive(agency, dataClass) ?? CreateFirst(agency, dataClass);
        var key = Unwrap(active);
        _activeIds[(agency, dataClass)] = active.KeyId;
        return (active.KeyId, key);
    }

    /// <summary>Null when the key is unknown or destroyed: its fields are then unavailable.</summary>
    public byte[]? Find(string keyId)
    {
        if (_unwrapped.TryGetValue(keyId, out var cached))
        {
            return cached;
        }
        var stored = store.Find(keyId);
        return stored is null || stored.DestroyedAt is not null ? null : Unwrap(stored);
    }

    private WrappedDataKey CreateFirst(string agency, string dataClass)
    {
        var keyId = string.Create(CultureInfo.InvariantCulture, $"{agency}/{dataClass}/1");
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var kekId = keks.CurrentKekId;
            var candidate = new WrappedDataKey(keyId, agency, dataClass, 1, kekId, keks.Wrap(kekId, dataKey), clock.GetUtcNow(), null);
            if (store.TryAdd(candidate))
            {
                return candidate;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
        // Another writer created it first; use theirs so every process agrees on one key.
        return store.FindActive(agency, dataClass)
            ?? throw new CryptographicException($"data key {keyId} was created concurrently but cannot be read back");
    }

    private byte[] Unwrap(WrappedDataKey stored) =>
        _unwrapped.GetOrAdd(stored.KeyId, _ => keks.Unwrap(stored.KekId, stored.WrappedKey));
}
