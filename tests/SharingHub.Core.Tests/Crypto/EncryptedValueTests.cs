using SharingHub.Core.Crypto;

namespace SharingHub.Core.Tests.Crypto;

public sealed class EncryptedValueTests
{
    private static EncryptedValue Sample() =>
        new(EncryptedValue.CurrentFormat, "la/la.social-care/1", Enumerable.Range(1, 12).Select(i => (byte)i).ToArray(),
            [9, 8, 7, 6, 5], Enumerable.Range(100, 16).Select(i => (byte)i).ToArray());

    [Fact]
    public void Given_a_value_when_written_and_read_back_then_every_part_is_kept()
    {
        var value = Sample();
        Assert.Equal(value, EncryptedValue.FromBytes(value.ToBytes()));
    }

    [Fact]
    public void Given_stored_bytes_cut_short_at_any_point_when_read_then_they_are_refused_as_malformed()
    {
        var bytes = Sample().ToBytes();
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<MalformedCiphertextException>(() => EncryptedValue.FromBytes(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Given_plaintext_in_a_column_when_read_as_an_encrypted_value_then_it_is_refused_rather_than_passed_through() =>
        Assert.Throws<MalformedCiphertextException>(() => EncryptedValue.FromBytes("Jane Doe, 1 High Street"u8));

    [Fact]
    public void Given_an_unknown_format_version_when_read_then_it_is_refused()
    {
        var bytes = Sample().ToBytes();
        bytes[0] = 2;
        Assert.Throws<MalformedCiphertextException>(() => EncryptedValue.FromBytes(bytes));
    }

    [Fact]
    public void Given_a_value_when_printed_then_no_ciphertext_bytes_appear() =>
        Assert.Equal("EncryptedValue(v1, key la/la.social-care/1, 5 bytes)", Sample().ToString());
}
