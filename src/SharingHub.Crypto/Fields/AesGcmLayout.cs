using System.Security.Cryptography;

namespace SharingHub.Crypto.Fields;

/// <summary>nonce(12) | tag(16) | ciphertext, used for wrapping data keys under a key-encryption key.</summary>
internal static class AesGcmLayout
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    public static void Seal(byte[] key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output)
    {
        var nonce = output[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output[Overhead..], output.Slice(NonceSize, TagSize), associatedData);
    }

    public static byte[] Open(byte[] key, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData)
    {
        if (sealedData.Length < Overhead)
        {
            throw new CryptographicException("wrapped key is truncated");
        }
        var plaintext = new byte[sealedData.Length - Overhead];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedData[..NonceSize], sealedData[Overhead..], sealedData.Slice(NonceSize, TagSize), plaintext, associatedData);
        return plaintext;
    }
}
