using SharingHub.Crypto.Keys;
using SharingHub.Crypto.Signing;
using SharingHub.Testing;

namespace SharingHub.Crypto.Tests.Signing;

public sealed class HubSigningKeysTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sharinghub-signing-" + Guid.NewGuid().ToString("N"));
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(360);

    private HubSigningKeys Open() =>
        new(Path.Combine(_folder, "signing-keys.json"), Overlap, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), _clock);

    [Fact]
    public void Given_a_rotation_then_new_tokens_use_the_new_key_and_the_old_one_stays_published_until_its_tokens_expire()
    {
        var keys = Open();
        var old = keys.Current.KeyId;

        var fresh = keys.Rotate();

        Assert.Equal(fresh, keys.Current.KeyId);
        Assert.Equal(new[] { old, fresh }.Order(StringComparer.Ordinal), keys.Published.Select(k => k.KeyId).Order(StringComparer.Ordinal));
        _clock.Advance(Overlap + TimeSpan.FromSeconds(1));
        Assert.Equal([fresh], keys.Published.Select(k => k.KeyId));
    }

    [Fact]
    public void Given_several_nodes_starting_at_once_on_one_shared_key_folder_then_all_sign_with_the_same_key()
    {
        Open(); // the key ring is made first, as the hub's crypto services do before any signing key
        using var start = new Barrier(8);
        var nodes = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8).Select(_ =>
        {
            start.SignalAndWait();
            return new HubSigningKeys(Path.Combine(_folder, "node-signing-keys.json"), Overlap, LocalKeyRing.OpenOrCreate(Path.Combine(_folder, "keyring.json")), _clock);
        }).ToList();

        Assert.Single(nodes.Select(n => n.Current.KeyId).Distinct());
        Assert.DoesNotContain(Directory.GetFiles(_folder), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_another_process_rotates_the_file_then_a_running_hub_picks_the_new_key_up()
    {
        var running = Open();
        var cli = Open();
        var fresh = cli.Rotate();
        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(fresh, running.Current.KeyId);
    }

    [Fact]
    public void Given_the_key_file_then_it_holds_no_private_key_in_the_clear_and_only_its_owner_can_read_it()
    {
        var keys = Open();
        var path = Path.Combine(_folder, "signing-keys.json");
        var text = File.ReadAllText(path);
        var d = Convert.ToBase64String(keys.Current.ECDsa.ExportECPrivateKey());
        Assert.DoesNotContain(d[..20], text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
