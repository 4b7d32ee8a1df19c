using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Crypto.Signing;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

/// <summary>The outcome of validating a bearer token: a principal, or the reason (for the log, never the caller).</summary>
internal sealed record TokenValidation(HubPrincipal? Principal, string? Failure)
{
    /// <summary>The issuer's key set the token was verified against (agency tokens; null for the hub's own): a cached
    /// validation counts only while it is still the set in use.</summary>
    internal IReadOnlyList<Microsoft.IdentityModel.Tokens.SecurityKey>? IssuerKeys { get; init; }

    public static TokenValidation Fail(string reason) => new(null, reason);
}

/// <summary>
/// Validates access tokens from every registered agency issuer and from the hub's own token service:
/// structure first (<see cref="JwtShape"/>), then issuer, signature with a key of that issuer found by
/// kid, algorithm allow-list, audience, type, lifetime with small skew, and the issuer's maximum lifetime.
/// Valid tokens are cached by hash until they expire, so validation is not paid on every request; a cached validation
/// counts only while the trust registry and (for an agency's token) the issuer's key set it was made against are still the
/// ones in use, so a partner removed, an issuer no longer trusted or a key dropped from an issuer's key set refuses the
/// token at its next request, not when it expires.
/// </summary>
internal sealed class AccessTokenValidator(
    TrustRegistryHolder registry,
    IssuerKeyCache issuerKeys,
    HubSigningKeys hubKeys,
    PolicyDecisionPoint policy,
    IOptions<IdentityOptions> options,
    TimeProvider clock)
{
    public static readonly IReadOnlySet<string> AllowedAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384,
    };

    private const int CacheLimit = 10_000;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = JwtShape.MaxLength };
    private readonly ConcurrentDictionary<string, Validated> _cache = new(StringComparer.Ordinal);

    /// <summary>A valid token's principal and what it was validated against (compared by reference: each reload makes new ones).</summary>
    private sealed record Validated(HubPrincipal Principal, TrustRegistry Registry, IReadOnlyList<SecurityKey>? IssuerKeys);

    public async Task<TokenValidation> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // Read before validating: a change made while this token is validated leaves its cache entry stale, never current.
        var trusted = registry.Current;
        var cacheKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        if (_cache.TryGetValue(cacheKey, out var cached))
        {
            if (cached.Principal.ExpiresAt > now && ReferenceEquals(cached.Registry, trusted)
                && (cached.IssuerKeys is null || ReferenceEquals(cached.IssuerKeys, issuerKeys.Known(cached.Principal.Issuer))))
            {
                return new TokenValidation(cached.Principal, null);
            }
            _cache.TryRemove(cacheKey, out _);
        }

        var parts = JwtShape.Check(token, out var problem);
        if (parts is null)
        {
            return TokenValidation.Fail(problem!);
        }
        var alg = parts.HeaderString("alg");
        if (alg is null || !AllowedAlgorithms.Contains(alg))
        {
            return TokenValidation.Fail("algorithm not allowed");
        }
        var kid = parts.HeaderString("kid");
        if (string.IsNullOrEmpty(kid))
        {
            return TokenValidation.Fail("no key id");
        }
        var iss = parts.PayloadString("iss");
        var settings = options.Value;
        var result = iss == settings.Issuer
            ? await ValidateHubTokenAsync(token, kid, settings, trusted)
            : trusted.FindIssuer(iss ?? "") is { } issuer
                ? await ValidateAgencyTokenAsync(token, parts, kid, issuer, settings, cancellationToken)
                : TokenValidation.Fail("issuer not registered");
        if (result.Principal is { } principal)
        {
            if (_cache.Count >= CacheLimit)
            {
                foreach (var stale in _cache.Where(e => e.Value.Principal.ExpiresAt <= now).Select(e => e.Key).ToList())
                {
                    _cache.TryRemove(stale, out _);
                }
                if (_cache.Count >= CacheLimit)
                {
                    _cache.Clear();
                }
            }
            _cache[cacheKey] = new Validated(principal, trusted, result.IssuerKeys);
        }
        return result;
    }

    private async Task<TokenValidation> ValidateHubTokenAsync(string token, string kid, IdentityOptions settings, TrustRegistry trusted)
    {
        var keys = hubKeys.Published.Where(k => k.KeyId == kid).Cast<SecurityKey>().ToList();
        var validated = await ValidateSignedAsync(token, settings.Issuer, [settings.EffectiveAudience], keys, ["at+jwt"],
            TimeSpan.FromSeconds(settings.AccessTokenLifetimeSeconds), settings);
        if (validated.Failure is not null)
        {
            return TokenValidation.Fail(validated.Failure);
        }
        var jwt = validated.Token!;
        var clientId = jwt.TryGetPayloadValue<string>("client_id", out var c) ? c : null;
        // The agency of a partner system is the one it is registered to, never a claim in the token.
        var client = clientId is null ? null : trusted.FindClient(clientId);
        if (client is null || jwt.Subject != clientId)
        {
            return TokenValidation.Fail("client not registered");
        }
        var scopes = (jwt.TryGetPayloadValue<string>("scope", out var s) ? s : "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        // A registration naming an organisation outside its agency is refused when the registry loads; none named: the agency's default.
        var clientOrganisation = policy.Policy.OrganisationIn(client.Agency, client.Organisation)?.Code ?? policy.Policy.DefaultOrganisation(client.Agency).Code;
        return new TokenValidation(new HubPrincipal(client.Agency, clientOrganisation, client.ClientId, client.Name, new HashSet<string> { client.Role },
            client.ClientId, scopes, settings.Issuer, Utc(jwt.ValidTo)), null);
    }

    private async Task<TokenValidation> ValidateAgencyTokenAsync(string token, JwtParts parts, string kid, TrustedIssuer issuer, IdentityOptions settings, CancellationToken cancellationToken)
    {
        var issuerKeySet = await issuerKeys.KeysAsync(issuer, kid, cancellationToken);
        var keys = issuerKeySet.Where(k => k.KeyId == kid).ToList();
        var validated = await ValidateSignedAsync(token, issuer.Issuer, issuer.Audiences, keys, issuer.TokenTypes, issuer.MaxLifetime, settings);
        if (validated.Failure is not null)
        {
            return TokenValidation.Fail(validated.Failure);
        }
        var jwt = validated.Token!;
        var subject = parts.PayloadString(issuer.Claims.Subject);
        if (string.IsNullOrEmpty(subject))
        {
            return TokenValidation.Fail("no subject");
        }
        var name = parts.PayloadString(issuer.Claims.Name);
        // Roles the policy does not know, or that the issuer's agency does not hold (a school's DSL from a police IdP), are ignored rather than trusted.
        var roles = RolesFrom(parts.Payload, issuer.Claims.Roles).Where(r => policy.Policy.Roles.TryGetValue(r, out var role) && role.IsHeldAt(issuer.Agency))
            .ToHashSet(StringComparer.Ordinal);
        // The person's organisation is one of the issuer's agency's (organisations.yaml); one outside it is refused, none named is the default.
        if (policy.Policy.OrganisationIn(issuer.Agency, parts.PayloadString(issuer.Claims.Organisation)) is not { } organisation)
        {
            return TokenValidation.Fail("the token names an organisation outside its agency");
        }
        return new TokenValidation(new HubPrincipal(issuer.Agency, organisation.Code, subject, name, roles, parts.PayloadString("azp"), new HashSet<string>(),
            issuer.Issuer, Utc(jwt.ValidTo)), null) { IssuerKeys = issuerKeySet };
    }

    private async Task<(JsonWebToken? Token, string? Failure)> ValidateSignedAsync(
        string token, string issuer, IEnumerable<string> audiences, IReadOnlyList<SecurityKey> keys, IEnumerable<string> types, TimeSpan maxLifetime, IdentityOptions settings)
    {
        if (keys.Count != 1)
        {
            return (null, keys.Count == 0 ? "unknown key id" : "key id is ambiguous");
        }
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidateIssuer = true,
            ValidAudiences = audiences,
            ValidateAudience = true,
            IssuerSigningKey = keys[0],
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = AllowedAlgorithms,
            ValidTypes = types,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds),
            LifetimeValidator = (notBefore, expires, _, p) => LifetimeIsValid(notBefore, expires, p.ClockSkew),
        };
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            // The lifetime check is the hub's own; say which side of it the token fell, for the caller's 401.
            if (result.Exception is SecurityTokenInvalidLifetimeException && _handler.CanReadToken(token))
            {
                var unverified = _handler.ReadJsonWebToken(token);
                var now = clock.GetUtcNow().UtcDateTime;
                var skew = parameters.ClockSkew;
                return (null, unverified.ValidTo != DateTime.MinValue && Utc(unverified.ValidTo) <= now - skew ? "SecurityTokenExpiredException"
                    : unverified.ValidFrom > DateTime.MinValue && Utc(unverified.ValidFrom) > now + skew ? "SecurityTokenNotYetValidException"
                    : "SecurityTokenInvalidLifetimeException");
            }
            return (null, result.Exception?.GetType().Name ?? "invalid");
        }
        var issuedAt = jwt.TryGetPayloadValue<long>("iat", out var iat) ? DateTimeOffset.FromUnixTimeSeconds(iat) : (DateTimeOffset?)null;
        var start = jwt.ValidFrom > DateTime.MinValue ? Utc(jwt.ValidFrom) : issuedAt;
        if (start is null || Utc(jwt.ValidTo) - start.Value > maxLifetime)
        {
            return (null, "lifetime longer than the issuer's maximum");
        }
        if (issuedAt is { } issued && issued > clock.GetUtcNow().AddSeconds(settings.ClockSkewSeconds))
        {
            return (null, "issued in the future");
        }
        return (jwt, null);
    }

    private bool LifetimeIsValid(DateTime? notBefore, DateTime? expires, TimeSpan skew)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return expires is { } exp && exp.ToUniversalTime() > now - skew && (notBefore is null || notBefore.Value.ToUniversalTime() <= now + skew);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static IEnumerable<string> RolesFrom(JsonElement payload, string claim)
    {
        if (!payload.TryGetProperty(claim, out var value))
        {
            return [];
        }
        return value.ValueKind switch
        {
            JsonValueKind.Array => value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!),
            JsonValueKind.String => value.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            _ => [],
        };
    }
}
