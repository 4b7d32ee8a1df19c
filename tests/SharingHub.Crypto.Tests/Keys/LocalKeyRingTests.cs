using SharingHub.Crypto.Indexes;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto.Tests.Keys;

// The hub runs on Linux; key file permissions are a Unix notion.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalKeyRingTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sharinghub-ring-" + Guid.NewGuid().ToString("N"));
    private string RingPath => Path.Combine(_folder, "keyring.json");

    [Fact]
    public void Given_no_key_file_when_the_ring_opens_then_it_creates_one_readable_only_by_its_owner()
    {
        LocalKeyRing.OpenOrCreate(RingPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(RingPath));
    }

    [Fact]
    public void Given_a_key_file_readable_by_others_when_the_ring_opens_then_start_up_is_refused()
    {
        LocalKeyRing.OpenOrCreate(RingPath);
        File.SetUnixFileMode(RingPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var error = Assert.Throws<KeyRingException>(() => LocalKeyRing.OpenOrCreate(RingPath));
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_reopened_ring_when_a_data_key_wrapped_earlier_is_unwrapped_then_it_is_the_same_key()
    {
        var first = LocalKeyRing.OpenOrCreate(RingPath);
        var dataKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var wrapped = first.Wrap(first.CurrentKekId, dataKey);
        var second = LocalKeyRing.OpenOrCreate(RingPath);
        Assert.Equal(dataKey, second.Unwrap(second.CurrentKekId, wrapped));
        Assert.DoesNotContain(Convert.ToHexString(dataKey), Convert.ToHexString(wrapped), StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_corrupt_key_file_when_the_ring_opens_then_the_error_names_the_file()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllText(RingPath, "{ not json");
        File.SetUnixFileMode(RingPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var error = Assert.Throws<KeyRingException>(() => LocalKeyRing.OpenOrCreate(RingPath));
        Assert.Contains(RingPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_the_same_identifier_when_indexed_then_the_index_is_stable_and_depends_on_purpose_and_key()
    {
        var indexer = new HmacBlindIndexer(LocalKeyRing.OpenOrCreate(RingPath));
        var other = new HmacBlindIndexer(LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "other.json")));
        Assert.Equal(indexer.Compute("NhsNumber", "9434765919"), indexer.Compute("NhsNumber", "9434765919"));
        Assert.NotEqual(indexer.Compute("NhsNumber", "9434765919"), indexer.Compute("LaPersonId", "9434765919"));
        Assert.NotEqual(indexer.Compute("NhsNumber", "9434765919"), other.Compute("NhsNumber", "9434765919"));
    }

    [Fact]
    public void Given_a_passphrase_then_the_key_file_is_sealed_and_opens_only_with_that_passphrase()
    {
        var ring = LocalKeyRing.OpenOrCreate(RingPath, "correct horse battery staple");
        var wrapped = ring.Wrap(ring.CurrentKekId, new byte[32]);
        ring.AddKek("police");
        var text = File.ReadAllText(RingPath);

        Assert.Contains("\"sealed\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(ring.CurrentKekId, text, StringComparison.Ordinal);
        Assert.Contains("SHARINGHUB_KEYRING_PASSPHRASE", Assert.Throws<KeyRingException>(() => LocalKeyRing.OpenOrCreate(RingPath, null)).Message, StringComparison.Ordinal);
        Assert.Contains("passphrase is wrong", Assert.Throws<KeyRingException>(() => LocalKeyRing.OpenOrCreate(RingPath, "wrong")).Message, StringComparison.Ordinal);
        var reopened = LocalKeyRing.OpenOrCreate(RingPath, "correct horse battery staple");
        Assert.Equal(new byte[32], reopened.Unwrap(ring.CurrentKekId, wrapped));
        Assert.True(reopened.AgencyKeks.ContainsKey("police"));
    }

    [Fact]
    public void Given_several_nodes_opening_one_shared_ring_at_once_when_there_is_none_then_all_get_the_same_ring()
    {
        // Many rounds: the race this guards against (two creators both "winning") showed in about one round in 150.
        for (var round = 0; round < 50; round++)
        {
            if (File.Exists(RingPath))
            {
                File.Delete(RingPath);
            }
            using var start = new Barrier(8);
            var rings = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8).Select(_ =>
            {
                start.SignalAndWait();
                return LocalKeyRing.OpenOrCreate(RingPath, passphrase: null);
            }).ToList();

            Assert.Single(rings.Select(r => Convert.ToHexString(r.BlindIndexKey)).Distinct());
            Assert.Single(rings.Select(r => r.CurrentKekId).Distinct());
            Assert.Equal(["keyring.json"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
