namespace SharingHub.Core.Crypto;

/// <summary>
/// Where a field lives. The record id, field name and schema version are bound into the ciphertext
/// as associated data, so a value copied to another row or field fails to decrypt; the owning
/// agency and data class choose the data key, and a subject (a person's own fields) gets a data key of
/// its own, so that one person's fields can be crypto-shredded while everyone else's stay readable.
/// </summary>
public readonly record struct FieldContext(Guid RecordId, string FieldName, string OwningAgency, string DataClass, Guid? Subject = null)
{
    /// <summary>The key scope within the agency: the data class, or the data class of one subject.</summary>
    public string KeyScope => Subject is { } subject ? SubjectScope(DataClass, subject) : DataClass;

    public static string SubjectScope(string dataClass, Guid subject) => $"{dataClass}@{subject:N}";

    public static string SubjectSuffix(Guid subject) => $"@{subject:N}";
}

/// <summary>A decrypted field, or the fact that its key has been destroyed (crypto-shredded).</summary>
public readonly record struct FieldPlaintext(string? Value)
{
    public static FieldPlaintext Unavailable => default;
    public bool IsAvailable => Value is not null;
}

public interface IFieldCipher
{
    EncryptedValue Encrypt(string plaintext, FieldContext context);

    /// <summary>
    /// Returns <see cref="FieldPlaintext.Unavailable"/> when the data key was destroyed; throws
    /// <see cref="System.Security.Cryptography.CryptographicException"/> when the value was altered
    /// or moved, which is tampering, not an expected state.
    /// </summary>
    FieldPlaintext Decrypt(EncryptedValue value, FieldContext context);

    /// <summary>Readies the keys of values about to be decrypted together (one read of the key store, not one per key).</summary>
    void Prefetch(IEnumerable<EncryptedValue?> values)
    {
    }
}

/// <summary>Keyed HMAC over a normalised identifier, so equality lookups need no plaintext.</summary>
public interface IBlindIndexer
{
    byte[] Compute(string purpose, string normalisedValue);
}
