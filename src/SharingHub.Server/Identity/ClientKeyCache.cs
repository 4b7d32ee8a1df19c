using System.Collections.Concurrent;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

/// <summary>Partner clients' public keys: inline in the registry, or fetched from their JWKS URL and cached.</summary>
internal sealed class ClientKeyCache(IHttpClientFactory http, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (IReadOnlyList<JsonWebKey> Keys, DateTimeOffset At)> _fetched = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<JsonWebKey>> KeysAsync(RegisteredClient client, string? kid, CancellationToken cancellationToken)
    {
        if (client.Jwks is not null)
        {
            return Public(new JsonWebKeySet(client.Jwks));
        }
        var now = clock.GetUtcNow();
        if (_fetched.TryGetValue(client.ClientId, out var entry)
            && (now - entry.At < TimeSpan.FromSeconds(30) || (now - entry.At < TimeSpan.FromHours(1) && (kid is null || entry.Keys.Any(k => k.Kid == kid)))))
        {
            return entry.Keys;
        }
        try
        {
            var text = await http.CreateClient(IssuerKeyCache.HttpClientName).GetStringAsync(client.JwksUri, cancellationToken);
            var keys = Public(new JsonWebKeySet(text));
            _fetched[client.ClientId] = (keys, now);
            return keys;
        }
        catch (Exception e) when (e is HttpRequestException or ArgumentException or TaskCanceledException)
        {
            _fetched[client.ClientId] = (entry.Keys ?? [], now);
            return entry.Keys ?? [];
        }
    }

    private static List<JsonWebKey> Public(JsonWebKeySet set) => set.Keys.Where(k => !k.HasPrivateKey && (k.Use is null or "sig")).ToList();
}
