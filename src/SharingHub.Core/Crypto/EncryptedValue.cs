using System.Buffers.Binary;
using System.Text;

namespace SharingHub.Core.Crypto;

/// <summary>
/// A sensitive field as it is stored: self-describing ciphertext (format version, key id, nonce,
/// tag, ciphertext). There is deliberately no way to build one from plaintext here: only an
/// <see cref="IFieldCipher"/> can, and nothing is ever stored unencrypted because of its shape.
/// </summary>
public sealed class EncryptedValue : IEquatable<EncryptedValue>
{
    public const byte CurrentFormat = 1;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    private const int MaxKeyIdLength = 128;

    public EncryptedValue(byte format, string keyId, byte[] nonce, byte[] ciphertext, byte[] tag)
    {
        if (format != CurrentFormat)
        {
            throw new MalformedCiphertextException($"unknown ciphertext format {format}");
        }
        if (string.IsNullOrEmpty(keyId) || Encoding.UTF8.GetByteCount(keyId) > MaxKeyIdLength)
        {
            throw new MalformedCiphertextException("key id missing or too long");
        }
        if (nonce.Length != NonceSize || tag.Length != TagSize)
        {
            throw new MalformedCiphertextException("nonce or tag has the wrong size");
        }
        Format = format;
        KeyId = keyId;
        Nonce = nonce;
        Ciphertext = ciphertext;
        Tag = tag;
    }

    public byte Format { get; }
    public string KeyId { get; }
    public byte[] Nonce { get; }
    public byte[] Ciphertext { get; }
    public byte[] Tag { get; }

    /// <summary>Layout: format(1) | keyIdLength(1) | keyId(utf8) | nonce(12) | tag(16) | ciphertextLength(4, BE) | ciphertext.</summary>
    public byte[] ToBytes()
    {
        var keyId = Encoding.UTF8.GetBytes(KeyId);
        var buffer = new byte[2 + keyId.Length + NonceSize + TagSize + 4 + Ciphertext.Length];
        var span = buffer.AsSpan();
        span[0] = Format;
        span[1] = (byte)keyId.Length;
        var offset = 2;
        keyId.CopyTo(span[offset..]);
        offset += keyId.Length;
        Nonce.CopyTo(span[offset..]);
        offset += NonceSize;
        Tag.CopyTo(span[offset..]);
        offset += TagSize;
        BinaryPrimitives.WriteInt32BigEndian(span[offset..], Ciphertext.Length);
        offset += 4;
        Ciphertext.CopyTo(span[offset..]);
        return buffer;
    }

    public static EncryptedValue FromBytes(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
        {
            throw new MalformedCiphertextException("ciphertext is truncated");
        }
        var format = data[0];
        int keyIdLength = data[1];
        var fixedPart = 2 + keyIdLength + NonceSize + TagSize + 4;
        if (data.Length < fixedPart)
        {
            throw new MalformedCiphertextException("ciphertext is truncated");
        }
        var offset = 2;
        string keyId;
        try
        {
            keyId = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data.Slice(offset, keyIdLength));
        }
        catch (DecoderFallbackException e)
        {
            throw new MalformedCiphertextException("key id is not valid UTF-8", e);
        }
        offset += keyIdLength;
        var nonce = data.Slice(offset, NonceSize).ToArray();
        offset += NonceSize;
        var tag = data.Slice(offset, TagSize).ToArray();
        offset += TagSize;
        var length = BinaryPrimitives.ReadInt32BigEndian(data[offset..]);
        offset += 4;
        if (length < 0 || length != data.Length - offset)
        {
            throw new MalformedCiphertextException("ciphertext length does not match its header");
        }
        return new EncryptedValue(format, keyId, nonce, data[offset..].ToArray(), tag);
    }

    public bool Equals(EncryptedValue? other) =>
        other is not null
        && Format == other.Format
        && KeyId == other.KeyId
        && Nonce.AsSpan().SequenceEqual(other.Nonce)
        && Tag.AsSpan().SequenceEqual(other.Tag)
        && Ciphertext.AsSpan().SequenceEqual(other.Ciphertext);

    public override bool Equals(object? obj) => Equals(obj as EncryptedValue);

    public override int GetHashCode() => HashCode.Combine(KeyId, BinaryPrimitives.ReadInt64LittleEndian(Nonce));

    /// <summary>Never prints the ciphertext, so a value in a log line carries nothing useful.</summary>
    public override string ToString() => $"EncryptedValue(v{Format}, key {KeyId}, {Ciphertext.Length} bytes)";
}

public sealed class MalformedCiphertextException : Exception
{
    public MalformedCiphertextException(string message) : base(message) { }
    public MalformedCiphertextException(string message, Exception inner) : base(message, inner) { }
}
