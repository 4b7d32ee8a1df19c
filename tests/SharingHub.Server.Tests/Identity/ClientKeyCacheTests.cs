using Microsoft.Extensions.DependencyInjection;
using SharingHub.Policies.Trust;
using SharingHub.Server.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Identity;

/// <summary>
/// A partner system's keys fetched from its JWKS URL: a key it drops stops working within minutes, a set that cannot be
/// reached is not trusted for ever, and a client the registry moves to a new URL is answered from the new one at once.
/// </summary>
public sealed class ClientKeyCacheTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 9, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private StubIdentityProvider _set = null!;
    private ClientKeyCache _cache = null!;

    public async Task InitializeAsync()
    {
        _set = await StubIdentityProvider.StartAsync("partner", TestKey.NewEc("ES384"));
        _cache = new ClientKeyCache(_services.GetRequiredService<IHttpClientFactory>(), _clock);
    }

    private static RegisteredClient Client(StubIdentityProvider set) =>
        new("case-system", "police", "Case system", null, new Uri(set.Issuer + "/jwks"), new HashSet<string>(StringComparer.Ordinal));

    private async Task<bool> KnowsAsync(RegisteredClient client, string kid) =>
        (await _cache.KeysAsync(client, kid, CancellationToken.None)).Any(k => k.Kid == kid);

    [Fact]
    public async Task Given_the_partner_drops_a_key_from_its_set_then_the_key_is_refused_once_the_set_is_no_longer_fresh()
    {
        var client = Client(_set);
        var dropped = _set.Key.Kid;
        Assert.True(await KnowsAsync(client, dropped));

        _set.Rotate(dropOld: true);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await KnowsAsync(client, dropped), "within five minutes the set fetched is used again");
        _clock.Advance(ClientKeyCache.Fresh);

        Assert.False(await KnowsAsync(client, dropped));
        Assert.True(await KnowsAsync(client, _set.Key.Kid));
    }

    [Fact]
    public async Task Given_the_partners_set_cannot_be_reached_then_the_last_keys_serve_for_an_hour_and_then_none_does()
    {
        var client = Client(_set);
        var kid = _set.Key.Kid;
        Assert.True(await KnowsAsync(client, kid));
        await _set.DisposeAsync();

        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.True(await KnowsAsync(client, kid), "a partner's brief outage does not stop its system");
        _clock.Advance(TimeSpan.FromMinutes(51));

        Assert.Empty(await _cache.KeysAsync(client, kid, CancellationToken.None));
    }

    [Fact]
    public async Task Given_the_registry_moves_the_client_to_a_new_set_then_its_keys_come_from_there_at_once_and_the_old_sets_do_not()
    {
        Assert.True(await KnowsAsync(Client(_set), _set.Key.Kid));
        await using var moved = await StubIdentityProvider.StartAsync("partner-moved", TestKey.NewEc("ES384"));
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await KnowsAsync(Client(moved), moved.Key.Kid));
        Assert.False(await KnowsAsync(Client(moved), _set.Key.Kid));
    }

    public async Task DisposeAsync()
    {
        await _set.DisposeAsync();
        await _services.DisposeAsync();
    }
}
