using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto.Fields;

/// <summary>
/// AES-256-GCM per field, a fresh random 96-bit nonce per value, and associated data that binds the
/// ciphertext to its record id, field name and schema version. Decryption is the hot path of every read,
/// so cipher instances are reused per thread and key (an AesGcm instance is not safe to share across
/// threads) and the associated data is written without intermediate strings.
/// </summary>
public sealed class AesGcmFieldCipher(DataKeyRing keys) : IFieldCipher
{
    private const int MaxStackAssociatedData = 512;
    private const int MaxCiphersPerThread = 4_096;

    [ThreadStatic]
    private static Dictionary<string, (byte[] Key, AesGcm Cipher)>? t_ciphers;

    public EncryptedValue Encrypt(string plaintext, FieldContext context)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var (keyId, key) = keys.GetOrCreateActive(context.OwningAgency, context.KeyScope);
        var nonce = RandomNumberGenerator.GetBytes(EncryptedValue.NonceSize);
        var input = Encoding.UTF8.GetBytes(plaintext);
        var ciphertext = new byte[input.Length];
        var tag = new byte[EncryptedValue.TagSize];
        Span<byte> buffer = stackalloc byte[MaxStackAssociatedData];
        var associated = AssociatedData(context, buffer);
        CipherFor(keyId, key).Encrypt(nonce, input, ciphertext, tag, associated);
        CryptographicOperations.ZeroMemory(input);
        return new EncryptedValue(EncryptedValue.CurrentFormat, keyId, nonce, ciphertext, tag);
    }

    public FieldPlaintext Decrypt(EncryptedValue value, FieldContext context)
    {
        ArgumentNullException.ThrowIfNull(value);
        // Asked every time: a destroyed or revoked key must stop decrypting even if a cipher for it is cached.
        var key = keys.Find(value.KeyId);
        if (key is null)
        {
            return FieldPlaintext.Unavailable;
        }
        var rented = ArrayPool<byte>.Shared.Rent(value.Ciphertext.Length);
        try
        {
            var plaintext = rented.AsSpan(0, value.Ciphertext.Length);
            Span<byte> buffer = stackalloc byte[MaxStackAssociatedData];
            CipherFor(value.KeyId, key).Decrypt(value.Nonce, value.Ciphertext, value.Tag, plaintext, AssociatedData(context, buffer));
            return new FieldPlaintext(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, value.Ciphertext.Length));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void Prefetch(IEnumerable<EncryptedValue?> values) => keys.Prefetch(values.OfType<EncryptedValue>().Select(v => v.KeyId));

    private static AesGcm CipherFor(string keyId, byte[] key)
    {
        var ciphers = t_ciphers ??= new Dictionary<string, (byte[], AesGcm)>(StringComparer.Ordinal);
        if (ciphers.TryGetValue(keyId, out var cached) && ReferenceEquals(cached.Key, key))
        {
            return cached.Cipher;
        }
        cached.Cipher?.Dispose();
        if (ciphers.Count >= MaxCiphersPerThread)
        {
            // Each person has keys of their own: a long-running thread would otherwise hold a cipher for everyone it ever read.
            foreach (var (_, old) in ciphers.Values)
            {
                old.Dispose();
            }
            ciphers.Clear();
        }
        var cipher = new AesGcm(key, EncryptedValue.TagSize);
        ciphers[keyId] = (key, cipher);
        return cipher;
    }

    /// <summary>"sharinghub/v1/{record id:N}/{field name}" as UTF-8.</summary>
    private static ReadOnlySpan<byte> AssociatedData(FieldContext context, Span<byte> buffer)
    {
        if (Utf8.TryWrite(buffer, $"sharinghub/v1/{context.RecordId:N}/{context.FieldName}", out var written))
        {
            return buffer[..written];
        }
        return Encoding.UTF8.GetBytes($"sharinghub/v1/{context.RecordId:N}/{context.FieldName}");
    }
}
