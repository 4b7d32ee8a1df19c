using System.Security.Cryptography;
using System.Text;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto.Indexes;

/// <summary>
/// HMAC-SHA256 under a key kept apart from the data keys. The purpose (for example "nhs-number") is
/// part of the input, so equal values of different kinds do not share an index value.
/// </summary>
public sealed class HmacBlindIndexer(IKeyEncryptionKeyProviderWithIndexKey keys) : IBlindIndexer
{
    public byte[] Compute(string purpose, string normalisedValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(normalisedValue);
        var input = Encoding.UTF8.GetBytes(purpose + "\u001f" + normalisedValue);
        try
        {
            return HMACSHA256.HashData(keys.BlindIndexKey, input);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }
}
