using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Crypto.Signing;
using SharingHub.Policies.Trust;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Identity;

/// <summary>
/// The hub's token service for partner systems (SMART Backend Services): discovery, JWKS, and a
/// token endpoint for client_credentials with private_key_jwt. Errors follow RFC 6749 section 5.2
/// and say nothing that helps an attacker tell which check failed.
/// </summary>
internal static class TokenEndpoints
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public static WebApplication MapTokenService(this WebApplication app)
    {
        var open = app.MapGroup("").AllowAnonymous().WithTags("Identity");
        open.MapGet("/.well-known/openid-configuration", (IOptions<IdentityOptions> o) => Results.Json(Discovery(o.Value)))
            .Answers<System.Text.Json.JsonElement>(200, "OpenID Provider metadata of the token service (exactly what it serves)");
        open.MapGet("/.well-known/smart-configuration", (IOptions<IdentityOptions> o) => Results.Json(new
        {
            issuer = o.Value.Issuer,
            token_endpoint = o.Value.TokenEndpoint,
            jwks_uri = o.Value.Issuer + "/jwks",
            grant_types_supported = new[] { "client_credentials" },
            token_endpoint_auth_methods_supported = new[] { "private_key_jwt" },
            token_endpoint_auth_signing_alg_values_supported = ClientAssertionValidator.Algorithms.Order(StringComparer.Ordinal),
            scopes_supported = new[] { "system/*.rs", "system/*.cruds" },
            capabilities = new[] { "client-confidential-asymmetric", "permission-v2" },
        })).Answers<System.Text.Json.JsonElement>(200, "SMART App Launch configuration (backend services: client credentials with private_key_jwt)");
        open.MapGet("/jwks", (HubSigningKeys keys) => Results.Json(new Audit.JsonWebKeys(keys.Published.Select(HubSigningKeys.PublicJwk).ToList())))
            .Answers<Audit.JsonWebKeys>(200, "The token service's signing keys (JWK Set)");
        open.MapPost("/token", IssueAsync).DisableAntiforgery().RequireRateLimiting(TokenRateLimit.Policy).Audited("token.issue")
            .WithSummary("SMART Backend Services token request: grant_type=client_credentials with a private_key_jwt client assertion")
            .Accepts<TokenRequestForm>("application/x-www-form-urlencoded")
            .Produces<TokenIssued>(200).Produces<OAuthError>(400).Produces<OAuthError>(401).Produces(429);
        return app;
    }

    private static object Discovery(IdentityOptions o) => new
    {
        issuer = o.Issuer,
        token_endpoint = o.TokenEndpoint,
        jwks_uri = o.Issuer + "/jwks",
        grant_types_supported = new[] { "client_credentials" },
        // No authorization endpoint and no ID tokens: the token service serves client credentials only (RFC 8414 asks for the list; it is empty).
        response_types_supported = Array.Empty<string>(),
        token_endpoint_auth_methods_supported = new[] { "private_key_jwt" },
        token_endpoint_auth_signing_alg_values_supported = ClientAssertionValidator.Algorithms.Order(StringComparer.Ordinal),
        scopes_supported = new[] { "system/*.rs", "system/*.cruds" },
    };

    private static async Task<IResult> IssueAsync(
        HttpContext context, ClientAssertionValidator assertions, HubSigningKeys keys, IOptions<IdentityOptions> options,
        TimeProvider clock, ILogger<ClientAssertionValidator> logger, Audit.AuditScope audit)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        if (!context.Request.HasFormContentType)
        {
            return Error(400, "invalid_request", "the request must be application/x-www-form-urlencoded");
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form.Keys.Any(k => form[k].Count > 1))
        {
            return Error(400, "invalid_request", "a parameter was given more than once");
        }
        if (form["grant_type"] != "client_credentials")
        {
            return Error(400, "unsupported_grant_type", "only client_credentials is supported");
        }
        if (form["client_assertion_type"] != AssertionType || string.IsNullOrEmpty(form["client_assertion"]))
        {
            return Error(401, "invalid_client", "client authentication failed");
        }
        var (client, failure) = await assertions.ValidateAsync(form["client_assertion"]!, form["client_id"].FirstOrDefault(), context.RequestAborted);
        if (client is null)
        {
            logger.LogInformation("Token request refused: {Reason}", failure);
            return Error(401, "invalid_client", "client authentication failed");
        }
        audit.Caller = (client.Agency, client.ClientId);
        var requested = (form["scope"].FirstOrDefault() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var registered = client.Scopes.Select(s => SmartScope.TryParse(s, out var scope) ? scope : null).OfType<SmartScope>().ToList();
        var granted = new List<string>();
        foreach (var text in requested)
        {
            if (!SmartScope.TryParse(text, out var scope) || !registered.Any(r => r.Covers(scope)))
            {
                logger.LogInformation("Token request by client {ClientId} of agency {Agency} refused: scope outside registration", client.ClientId, client.Agency);
                return Error(400, "invalid_scope", "a requested scope is not granted to this client");
            }
            granted.Add(text);
        }
        if (granted.Count == 0)
        {
            return Error(400, "invalid_scope", "request at least one scope");
        }
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var lifetime = Math.Min(settings.AccessTokenLifetimeSeconds, 300);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.EffectiveAudience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.AddSeconds(lifetime).UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = client.ClientId,
                ["client_id"] = client.ClientId,
                ["scope"] = string.Join(' ', granted),
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        });
        logger.LogInformation("Access token issued to client {ClientId} of agency {Agency} for {Lifetime} s", client.ClientId, client.Agency, lifetime);
        return Results.Json(new TokenIssued(token, "Bearer", lifetime, string.Join(' ', granted)));
    }

    private static IResult Error(int status, string error, string description) =>
        Results.Json(new OAuthError(error, description), statusCode: status);
}

/// <summary>The token endpoint's own window per client address (see <see cref="Hosting.RequestRateLimits"/>).</summary>
internal static class TokenRateLimit
{
    public const string Policy = "token";
}

/// <summary>A token response (RFC 6749 section 5.1).</summary>
internal sealed record TokenIssued(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("scope")] string Scope);

/// <summary>The form a SMART Backend Services client posts (RFC 7523 client assertion).</summary>
internal sealed record TokenRequestForm(
    [property: JsonPropertyName("grant_type")] string GrantType,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("client_assertion_type")] string ClientAssertionType,
    [property: JsonPropertyName("client_assertion")] string ClientAssertion);
