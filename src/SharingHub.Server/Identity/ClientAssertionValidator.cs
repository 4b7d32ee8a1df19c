using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

/// <summary>
/// Checks a partner system's signed client assertion as SMART Backend Services requires: RS384 or
/// ES384; iss and sub both the registered client id; aud the token endpoint; exp no more than five
/// minutes ahead; a jti never seen before within its lifetime; jku only if it is the registered JWKS
/// URL; exactly one registered key that can have signed it.
/// </summary>
internal sealed class ClientAssertionValidator(
    TrustRegistryHolder registry,
    ClientKeyCache clientKeys,
    Data.Cluster.ExpiringMarks marks,
    IOptions<IdentityOptions> options,
    TimeProvider clock)
{
    public static readonly IReadOnlySet<string> Algorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        SecurityAlgorithms.RsaSha384, SecurityAlgorithms.EcdsaSha384,
    };

    /// <summary>The kind of mark a used client assertion (client id and jti) leaves until it expires.</summary>
    public const string AssertionMark = "assertion-jti";

    private static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = JwtShape.MaxLength };

    /// <summary>The registered client, or null with the reason (logged, never returned to the caller).</summary>
    public async Task<(RegisteredClient? Client, string? Failure)> ValidateAsync(string assertion, string? clientIdParameter, CancellationToken cancellationToken)
    {
        var unverifiedIss = TryReadIss(assertion);
        var client = unverifiedIss is null ? null : registry.Current.FindClient(unverifiedIss);
        if (client is null)
        {
            return (null, "client not registered");
        }
        if (clientIdParameter is not null && clientIdParameter != client.ClientId)
        {
            return (null, "client_id parameter differs from the assertion");
        }
        var allowedJku = client.JwksUri is null ? null : new HashSet<string>(StringComparer.Ordinal) { client.JwksUri.ToString() };
        var parts = JwtShape.Check(assertion, out var problem, allowedJku);
        if (parts is null)
        {
            return (null, problem);
        }
        var alg = parts.HeaderString("alg");
        if (alg is null || !Algorithms.Contains(alg))
        {
            return (null, "assertion algorithm not allowed");
        }
        if (parts.PayloadString("sub") != client.ClientId || parts.PayloadString("iss") != client.ClientId)
        {
            return (null, "iss and sub must both be the client id");
        }
        // An access token (typ at+jwt) is not a client assertion, whatever it carries.
        if (parts.HeaderString("typ") is { } typ && !string.Equals(typ, "JWT", StringComparison.OrdinalIgnoreCase))
        {
            return (null, "assertion typ must be JWT");
        }
        // aud is the token endpoint alone: an array naming other audiences too would let one assertion serve several servers.
        if (parts.Payload.TryGetProperty("aud", out var aud) && aud.ValueKind == System.Text.Json.JsonValueKind.Array
            && (aud.GetArrayLength() != 1 || aud[0].ValueKind != System.Text.Json.JsonValueKind.String || aud[0].GetString() != options.Value.TokenEndpoint))
        {
            return (null, "aud must be exactly the token endpoint");
        }
        if (parts.Payload.TryGetProperty("iat", out var iat) && (iat.ValueKind != System.Text.Json.JsonValueKind.Number || !iat.TryGetInt64(out var issued)
            || DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(issued, 0, 253402300799)) > clock.GetUtcNow().AddSeconds(options.Value.ClockSkewSeconds)))
        {
            return (null, "iat is in the future");
        }
        var jti = parts.PayloadString("jti");
        if (string.IsNullOrEmpty(jti) || jti.Length > 256)
        {
            return (null, "no jti");
        }
        var kid = parts.HeaderString("kid");
        var keyType = alg.StartsWith("ES", StringComparison.Ordinal) ? "EC" : "RSA";
        var keys = (await clientKeys.KeysAsync(client, kid, cancellationToken))
            .Where(k => k.Kty == keyType && (kid is null || k.Kid == kid))
            .ToList();
        if (keys.Count != 1)
        {
            return (null, keys.Count == 0 ? "no registered key matches" : "more than one registered key matches");
        }
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = client.ClientId,
            ValidAudience = settings.TokenEndpoint,
            IssuerSigningKey = keys[0],
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds),
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } exp
                && exp.ToUniversalTime() > now.UtcDateTime - p.ClockSkew
                && exp.ToUniversalTime() <= now.UtcDateTime + MaxAhead + p.ClockSkew
                && (notBefore is null || notBefore.Value.ToUniversalTime() <= now.UtcDateTime + p.ClockSkew),
        };
        var result = await _handler.ValidateTokenAsync(assertion, parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return (null, result.Exception?.GetType().Name ?? "invalid assertion");
        }
        // Recorded only after the signature holds, so nobody can burn another client's jti values.
        // In the database, so an assertion used at one hub node is refused as a replay at every other.
        if (!await marks.TryMarkAsync(AssertionMark, client.ClientId + "\n" + jti, new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc)).Add(parameters.ClockSkew), cancellationToken))
        {
            return (null, "jti replayed");
        }
        return (client, null);
    }

    /// <summary>The unverified issuer, only to find which client's rules and keys apply; nothing is trusted from it.</summary>
    private static string? TryReadIss(string assertion)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3 || assertion.Length > JwtShape.MaxLength)
        {
            return null;
        }
        try
        {
            using var payload = System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[1]));
            return payload.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && payload.RootElement.TryGetProperty("iss", out var iss)
                && iss.ValueKind == System.Text.Json.JsonValueKind.String ? iss.GetString() : null;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
