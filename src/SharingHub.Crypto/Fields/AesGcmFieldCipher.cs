using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto.Fields;

/// <summary>
/// AES-256-GCM per field, a fresh random 96-bit nonce per value, and associated data that binds the
/// ciphertext to its record id, field name and schema version.
/// </summary>
public sealed class AesGcmFieldCipher(DataKeyRing keys) : IFieldCipher
{
    private const string SchemaVersion = "v1";

    public EncryptedValue Encrypt(string plaintext, FieldContext context)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var (keyId, key) = keys.GetOrCreateActive(context.OwningAgency, context.DataClass);
        var nonce = RandomNumberGenerator.GetBytes(EncryptedValue.NonceSize);
        var input = Encoding.UTF8.GetBytes(plaintext);
        var ciphertext = new byte[input.Length];
        var tag = new byte[EncryptedValue.TagSize];
        using (var aes = new AesGcm(key, EncryptedValue.TagSize))
        {
            aes.Encrypt(nonce, input, ciphertext, tag, AssociatedData(context));
        }
        CryptographicOperations.ZeroMemory(input);
        return new EncryptedValue(EncryptedValue.CurrentFormat, keyId, nonce, ciphertext, tag);
    }

    public FieldPlaintext Decrypt(EncryptedValue value, FieldContext context)
    {
        ArgumentNullException.ThrowIfNull(value);
        var key = keys.Find(value.KeyId);
        if (key is null)
        {
            return FieldPlaintext.Unavailable;
        }
        var rented = ArrayPool<byte>.Shared.Rent(value.Ciphertext.Length);
        try
        {
            var plaintext = rented.AsSpan(0, value.Ciphertext.Length);
            using (var aes = new AesGcm(key, EncryptedValue.TagSize))
            {
                aes.Decrypt(value.Nonce, value.Ciphertext, value.Tag, plaintext, AssociatedData(context));
            }
            return new FieldPlaintext(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, value.Ciphertext.Length));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static byte[] AssociatedData(FieldContext context) =>
        Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"sharinghub/{SchemaVersion}/{context.RecordId:N}/{context.FieldName}"));
}
