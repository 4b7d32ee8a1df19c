using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Crypto.Signing;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

public sealed record DemoUser(string Agency, string Subject, string Name, string[] Roles);

/// <summary>
/// A development identity provider with demo users of every agency and role, so the hub can be tried
/// without five real identity providers. Each agency gets its own issuer and key, exactly as real
/// agencies' issuers are trusted, so a token still belongs to the agency whose issuer signed it.
/// It refuses to run when the environment is Production.
/// </summary>
internal sealed class DevelopmentIdentityProvider
{
    public static readonly IReadOnlyList<DemoUser> Users =
    [
        new("la", "demo-la-lcpp", "Demo Lead Child Protection Practitioner", ["lcpp", "macpt-member"]),
        new("la", "demo-la-front-door", "Demo Front Door Social Worker", ["front-door"]),
        new("la", "demo-la-fhlp", "Demo Family Help Lead Practitioner", ["fhlp"]),
        new("la", "demo-la-ig", "Demo Council IG Officer", ["ig-officer"]),
        new("police", "demo-police-officer", "Demo MACPT Police Officer", ["macpt-member"]),
        new("police", "demo-police-front-door", "Demo Police Front Door Officer", ["front-door"]),
        new("police", "demo-police-ig", "Demo Police IG Officer", ["ig-officer"]),
        new("health", "demo-health-practitioner", "Demo MACPT Health Professional", ["macpt-member"]),
        new("health", "demo-health-ig", "Demo Health IG Officer", ["ig-officer"]),
        new("education", "demo-education-lead", "Demo MACPT Education Lead", ["macpt-member"]),
        new("education", "demo-education-fhlp", "Demo School Family Help Practitioner", ["fhlp"]),
        new("probation", "demo-probation-officer", "Demo Probation Practitioner", ["macpt-member"]),
    ];

    private readonly Dictionary<string, ECDsaSecurityKey> _keys = new(StringComparer.Ordinal);
    private readonly IdentityOptions _options;
    private readonly TimeProvider _clock;

    public DevelopmentIdentityProvider(IOptions<IdentityOptions> options, IHostEnvironment environment, TrustRegistryHolder registry,
        PolicyDecisionPoint policy, TimeProvider clock)
    {
        if (environment.IsProduction())
        {
            throw new InvalidOperationException("the development identity provider never runs in Production; set SharingHub:Identity:DevelopmentIdentityProvider to false");
        }
        _options = options.Value;
        _clock = clock;
        foreach (var agency in policy.Policy.Agencies.Keys)
        {
            var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = $"dev-{agency}-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) };
            _keys[agency] = key;
            registry.AddLocalIssuer(new TrustedIssuer(agency, IssuerFor(agency), new Uri(IssuerFor(agency) + "/jwks"), null,
                new HashSet<string>(StringComparer.Ordinal) { _options.EffectiveAudience },
                new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "at+jwt" },
                new ClaimMapping("sub", "name", "roles"), TimeSpan.FromHours(1)), [key]);
        }
    }

    public string IssuerFor(string agency) => $"{_options.Issuer}/dev-idp/{agency}";

    public IReadOnlyDictionary<string, string>? PublicJwk(string agency) => _keys.TryGetValue(agency, out var key) ? HubSigningKeys.PublicJwk(key) : null;

    /// <summary>An access token for a demo user, signed by the user's own agency's development issuer.</summary>
    public string? IssueFor(string subject)
    {
        var user = Users.FirstOrDefault(u => u.Subject == subject);
        if (user is null)
        {
            return null;
        }
        var now = _clock.GetUtcNow();
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerFor(user.Agency),
            Audience = _options.EffectiveAudience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.AddHours(1).UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(_keys[user.Agency], SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = user.Subject,
                ["name"] = user.Name,
                ["roles"] = user.Roles,
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        });
    }
}

internal static class DevelopmentIdentityProviderEndpoints
{
    public static WebApplication MapDevelopmentIdentityProvider(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.DevelopmentIdentityProvider)
        {
            return app;
        }
        var idp = app.Services.GetRequiredService<DevelopmentIdentityProvider>();
        var group = app.MapGroup("/dev-idp").AllowAnonymous();
        group.MapGet("/users", () => Results.Json(DevelopmentIdentityProvider.Users.Select(u => new { u.Agency, u.Subject, u.Name, u.Roles })));
        group.MapGet("/{agency}/.well-known/openid-configuration", (string agency) => idp.PublicJwk(agency) is null
            ? Results.NotFound()
            : Results.Json(new { issuer = idp.IssuerFor(agency), jwks_uri = idp.IssuerFor(agency) + "/jwks", id_token_signing_alg_values_supported = new[] { "ES256" } }));
        group.MapGet("/{agency}/jwks", (string agency) => idp.PublicJwk(agency) is { } jwk
            ? Results.Json(new { keys = new[] { jwk } })
            : Results.NotFound());
        // Development only: a token for a named demo user, without a password. Never mapped in Production.
        group.MapPost("/token", async (HttpContext context) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
            var token = idp.IssueFor(form?["username"].FirstOrDefault() ?? "");
            return token is null
                ? Results.Json(new { error = "invalid_grant", error_description = "no such demo user; see /dev-idp/users" }, statusCode: 400)
                : Results.Json(new { access_token = token, token_type = "Bearer", expires_in = 3600 });
        }).DisableAntiforgery();
        return app;
    }
}
