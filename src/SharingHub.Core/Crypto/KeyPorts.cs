namespace SharingHub.Core.Crypto;

/// <summary>A data key as stored: wrapped by a key-encryption key, never in the clear.</summary>
public sealed record WrappedDataKey(
    string KeyId,
    string Agency,
    string DataClass,
    int Generation,
    string KekId,
    byte[] WrappedKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DestroyedAt);

/// <summary>Where wrapped data keys live (the hub database, next to the data they protect).</summary>
public interface IDataKeyStore
{
    WrappedDataKey? Find(string keyId);

    /// <summary>The newest generation for this agency and data class that has not been destroyed.</summary>
    WrappedDataKey? FindActive(string agency, string dataClass);

    /// <summary>Adds a key; returns false when a key with that id already exists (another writer won the race).</summary>
    bool TryAdd(WrappedDataKey key);

    /// <summary>
    /// Adds several keys in one write, all or none; returns false (nothing added) when any of them
    /// already exists. Bulk loads of new people use it to make their keys in one commit, not one each.
    /// </summary>
    bool TryAddAll(IReadOnlyCollection<WrappedDataKey> keys);

    /// <summary>The stored keys among these ids, in one read (missing ids are left out).</summary>
    IReadOnlyList<WrappedDataKey> FindMany(IReadOnlyCollection<string> keyIds);

    IReadOnlyList<WrappedDataKey> All();

    /// <summary>The highest generation ever made for this agency and key scope, destroyed ones included (0 if none).</summary>
    int MaxGeneration(string agency, string dataClass);

    /// <summary>The keys of one subject (key scopes ending in <paramref name="subjectSuffix"/>), at every agency.</summary>
    IReadOnlyList<WrappedDataKey> OfSubject(string subjectSuffix);

    /// <summary>Stores a new wrapping (after a key-encryption key rotation) or a destruction of an existing key.</summary>
    void Replace(WrappedDataKey key);
}

/// <summary>Holds key-encryption keys: a local key ring by default, a key vault in production.</summary>
public interface IKeyEncryptionKeyProvider
{
    string CurrentKekId { get; }

    /// <summary>The key-encryption key for new data keys of this agency: its own, if it holds one, else the hub's current one.</summary>
    string KekIdFor(string agency);

    byte[] Wrap(string kekId, ReadOnlySpan<byte> dataKey);

    /// <summary>Throws <see cref="KeyUnavailableException"/> when the key-encryption key is revoked, unknown or its provider unreachable.</summary>
    byte[] Unwrap(string kekId, ReadOnlySpan<byte> wrappedKey);
}

/// <summary>A key cannot be used right now (revoked, destroyed, or its provider is down). Reads show the field as unavailable.</summary>
public sealed class KeyUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
