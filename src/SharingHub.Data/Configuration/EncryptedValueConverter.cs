using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using SharingHub.Core.Crypto;

namespace SharingHub.Data.Configuration;

/// <summary>Stores the self-describing ciphertext as bytes; anything else in the column fails to load.</summary>
internal sealed class EncryptedValueConverter() : ValueConverter<EncryptedValue, byte[]>(
    v => v.ToBytes(),
    b => EncryptedValue.FromBytes(b));

internal sealed class EncryptedValueComparer() : ValueComparer<EncryptedValue>(
    (a, b) => a == null ? b == null : a.Equals(b),
    v => v.GetHashCode(),
    v => v);
