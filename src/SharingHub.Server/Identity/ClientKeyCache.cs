using System.Collections.Concurrent;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

/// <summary>
/// Partner clients' public keys: inline in the registry, or fetched from their JWKS URL and kept, per client and URL (a
/// registry that moves a client to a new URL is asked of the new one at once, never answered from the old one's keys).
/// A set is used again for <see cref="Fresh"/> when it holds the assertion's key, so a key the partner drops from its set
/// stops working within that time; an assertion naming a key the set lacks fetches it again, at most every
/// <see cref="Retry"/>. When the partner's URL cannot be reached, the last set serves until it is <see cref="Stale"/>, then
/// nothing does: an unreachable key set is never a reason to trust its keys for ever.
/// </summary>
internal sealed class ClientKeyCache(IHttpClientFactory http, TimeProvider clock)
{
    public static readonly TimeSpan Retry = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Fresh = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Stale = TimeSpan.FromHours(1);

    private sealed record Fetched(IReadOnlyList<JsonWebKey> Keys, DateTimeOffset FetchedAt, DateTimeOffset TriedAt);

    private readonly ConcurrentDictionary<(string Client, string Uri), Fetched> _fetched = new();

    public async Task<IReadOnlyList<JsonWebKey>> KeysAsync(RegisteredClient client, string? kid, CancellationToken cancellationToken)
    {
        if (client.Jwks is not null)
        {
            return Public(new JsonWebKeySet(client.Jwks));
        }
        var now = clock.GetUtcNow();
        var key = (client.ClientId, client.JwksUri!.AbsoluteUri);
        _fetched.TryGetValue(key, out var entry);
        if (entry is not null
            && (now - entry.TriedAt < Retry || (now - entry.FetchedAt < Fresh && (kid is null || entry.Keys.Any(k => k.Kid == kid)))))
        {
            return Usable(entry, now);
        }
        try
        {
            var text = await http.CreateClient(IssuerKeyCache.HttpClientName).GetStringAsync(client.JwksUri, cancellationToken);
            var keys = Public(new JsonWebKeySet(text));
            _fetched[key] = new Fetched(keys, now, now);
            return keys;
        }
        catch (Exception e) when (e is HttpRequestException or ArgumentException or TaskCanceledException)
        {
            // Not asked again before Retry; the keys last fetched serve only until they are Stale.
            var kept = new Fetched(entry?.Keys ?? [], entry?.FetchedAt ?? DateTimeOffset.MinValue, now);
            _fetched[key] = kept;
            return Usable(kept, now);
        }
    }

    private static IReadOnlyList<JsonWebKey> Usable(Fetched entry, DateTimeOffset now) => now - entry.FetchedAt < Stale ? entry.Keys : [];

    private static List<JsonWebKey> Public(JsonWebKeySet set) => set.Keys.Where(k => !k.HasPrivateKey && (k.Use is null or "sig")).ToList();
}
