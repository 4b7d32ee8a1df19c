using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

/// <summary>
/// Signing keys of the agencies' issuers, fetched from their discovery document or JWKS and cached.
/// A token with a key id the cache does not know triggers a refresh, at most three per minute per
/// issuer, so a key rotation at the agency is picked up at once without letting a flood of unknown
/// kids hammer the agency's identity provider.
/// </summary>
internal sealed class IssuerKeyCache(IHttpClientFactory http, TrustRegistryHolder registry, TimeProvider clock, ILogger<IssuerKeyCache> logger)
{
    public const string HttpClientName = "sharinghub-issuers";
    private const int RefreshesPerWindow = 3;
    private static readonly TimeSpan RefreshWindow = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaximumAge = TimeSpan.FromHours(1);
    private const int MaxDocumentBytes = 256 * 1024;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>
    /// The issuer's key set in use now, without fetching: its configured keys, or the fetched set while it is younger than the
    /// maximum age (null otherwise). A cached token validation made against another set (or against one now too old, which
    /// the next validation fetches again) no longer counts.
    /// </summary>
    public IReadOnlyList<SecurityKey>? Known(string issuer) =>
        registry.LocalKeys(issuer) ?? (_entries.TryGetValue(issuer, out var entry) && clock.GetUtcNow() - entry.FetchedAt < MaximumAge ? entry.Keys : null);

    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(TrustedIssuer issuer, string? kid, CancellationToken cancellationToken)
    {
        if (registry.LocalKeys(issuer.Issuer) is { } local)
        {
            return local;
        }
        var now = clock.GetUtcNow();
        if (_entries.TryGetValue(issuer.Issuer, out var entry)
            && now - entry.FetchedAt < MaximumAge
            && (kid is null || entry.Keys.Any(k => k.KeyId == kid) || !entry.MayRefresh(now)))
        {
            return entry.Keys;
        }
        var gate = _locks.GetOrAdd(issuer.Issuer, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_entries.TryGetValue(issuer.Issuer, out entry)
                && now - entry.FetchedAt < MaximumAge
                && (kid is null || entry.Keys.Any(k => k.KeyId == kid) || !entry.MayRefresh(now)))
            {
                return entry.Keys;
            }
            var keys = await FetchAsync(issuer, cancellationToken);
            _entries[issuer.Issuer] = new Entry(keys, clock.GetUtcNow(), entry?.RecentFetches(now) ?? []);
            return keys;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or InvalidDataException)
        {
            logger.LogWarning("Could not fetch signing keys of issuer {Issuer} for agency {Agency}: {Error}", issuer.Issuer, issuer.Agency, e.GetType().Name);
            // Keep serving the keys we had; remember the failure so a flood of bad kids does not retry at once.
            var stale = entry?.Keys ?? [];
            _entries[issuer.Issuer] = new Entry(stale, clock.GetUtcNow(), entry?.RecentFetches(now) ?? []);
            return stale;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IReadOnlyList<SecurityKey>> FetchAsync(TrustedIssuer issuer, CancellationToken cancellationToken)
    {
        var client = http.CreateClient(HttpClientName);
        var jwksUri = issuer.JwksUri;
        if (issuer.DiscoveryUri is { } discovery)
        {
            using var doc = JsonDocument.Parse(await GetAsync(client, discovery, cancellationToken));
            // The discovery document must be the registered issuer's own (OpenID Connect Discovery section 4.3).
            if (!doc.RootElement.TryGetProperty("issuer", out var iss) || iss.GetString() != issuer.Issuer)
            {
                throw new InvalidDataException("discovery document names another issuer");
            }
            var uri = doc.RootElement.TryGetProperty("jwks_uri", out var j) ? j.GetString() : null;
            if (!Uri.TryCreate(uri, UriKind.Absolute, out jwksUri) || (jwksUri.Scheme != Uri.UriSchemeHttps && !jwksUri.IsLoopback))
            {
                throw new InvalidDataException("discovery document has no usable jwks_uri");
            }
        }
        var set = new JsonWebKeySet(await GetAsync(client, jwksUri!, cancellationToken));
        var keys = set.Keys
            .Where(k => (k.Use is null or "sig") && k.Kty is "RSA" or "EC" && !k.HasPrivateKey && !string.IsNullOrEmpty(k.Kid))
            .Cast<SecurityKey>()
            .ToList();
        logger.LogInformation("Fetched {Count} signing keys of issuer {Issuer} for agency {Agency}", keys.Count, issuer.Issuer, issuer.Agency);
        return keys;
    }

    private static async Task<string> GetAsync(HttpClient client, Uri uri, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
        {
            throw new InvalidDataException("document too large");
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length <= MaxDocumentBytes ? text : throw new InvalidDataException("document too large");
    }

    private sealed record Entry(IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt, IReadOnlyList<DateTimeOffset> Earlier)
    {
        public bool MayRefresh(DateTimeOffset now) => RecentFetches(now).Count < RefreshesPerWindow;

        /// <summary>The fetches within the window, this one included.</summary>
        public IReadOnlyList<DateTimeOffset> RecentFetches(DateTimeOffset now) =>
            [.. Earlier.Where(t => now - t < RefreshWindow), .. now - FetchedAt < RefreshWindow ? new[] { FetchedAt } : []];
    }
}
