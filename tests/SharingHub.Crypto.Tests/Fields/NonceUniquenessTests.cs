using System.Buffers.Binary;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Fields;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto.Tests.Fields;

public sealed class NonceUniquenessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharinghub-nonce-").FullName;

    [Fact]
    public void Given_ten_million_encryptions_under_one_key_then_no_nonce_repeats()
    {
        const int count = 10_000_000;
        var cipher = new AesGcmFieldCipher(new DataKeyRing(new InMemoryDataKeyStore(), LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "k.json")), TimeProvider.System));
        var context = new FieldContext(Guid.NewGuid(), "Summary", "health", "health.clinical");
        var nonces = new UInt128[count];
        string? keyId = null;
        Parallel.For(0, Environment.ProcessorCount, worker =>
        {
            for (var i = worker; i < count; i += Environment.ProcessorCount)
            {
                var value = cipher.Encrypt("x", context);
                keyId ??= value.KeyId;
                nonces[i] = new UInt128(BinaryPrimitives.ReadUInt32BigEndian(value.Nonce), BinaryPrimitives.ReadUInt64BigEndian(value.Nonce.AsSpan(4)));
            }
        });
        Array.Sort(nonces);
        var repeats = 0;
        for (var i = 1; i < nonces.Length; i++)
        {
            if (nonces[i] == nonces[i - 1])
            {
                repeats++;
            }
        }
        Assert.Equal(0, repeats);
        Assert.Equal("health/health.clinical/1", keyId);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
