using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Crypto.Signing;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

public sealed record DemoUser(string Agency, string Subject, string Name, string[] Roles, string? Organisation = null);

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
        new("la", "demo-la-chair", "Demo Child Protection Conference Chair", ["conference-chair"]),
        new("la", "demo-la-team-manager", "Demo Front Door Team Manager", ["team-manager"]),
        new("la", "demo-la-fgdm-coordinator", "Demo Family Group Decision Making Coordinator", ["fgdm-coordinator"]),
        new("la", "demo-la-analyst", "Demo Performance Analyst", ["analyst"]),
        new("la", "demo-la-data-team", "Demo Council Data Team Member", ["data-team"]),
        new("la", "demo-la-returns", "Demo Statutory Returns Officer", ["returns-officer"]),
        new("police", "demo-police-officer", "Demo MACPT Police Officer", ["macpt-member"]),
        new("police", "demo-police-front-door", "Demo Police Front Door Officer", ["front-door"]),
        new("police", "demo-police-ig", "Demo Police IG Officer", ["ig-officer"]),
        new("health", "demo-health-practitioner", "Demo MACPT Health Professional", ["macpt-member"], "trust-northgate"),
        new("health", "demo-health-ig", "Demo ICB Safeguarding IG Officer", ["ig-officer"]),
        new("health", "demo-northgate-ig", "Demo Northgate Trust IG Officer", ["ig-officer"], "trust-northgate"),
        new("health", "demo-health-nurse", "Demo Designated Safeguarding Nurse", ["safeguarding-nurse"], "trust-northgate"),
        new("health", "demo-health-gp", "Demo GP Safeguarding Lead", ["macpt-member"], "practice-riverside"),
        new("education", "demo-education-lead", "Demo MACPT Education Lead", ["macpt-member"], "school-hillside"),
        new("education", "demo-education-fhlp", "Demo School Family Help Practitioner", ["fhlp"], "school-riverside"),
        new("education", "demo-education-dsl", "Demo School Designated Safeguarding Lead", ["dsl"], "school-hillside"),
        new("education", "demo-riverside-dsl", "Demo Riverside Academy Designated Safeguarding Lead", ["dsl"], "school-riverside"),
        new("education", "demo-hillside-ig", "Demo Hillside School IG Officer", ["ig-officer"], "school-hillside"),
        new("probation", "demo-probation-officer", "Demo Probation Practitioner", ["macpt-member"]),
        new("la", "demo-la-nominator", "Demo Council MACPT Nominations Lead", ["macpt-nominator"]),
        new("police", "demo-police-nominator", "Demo Police MACPT Nominations Lead", ["macpt-nominator"]),
        new("health", "demo-health-nominator", "Demo ICB MACPT Nominations Lead", ["macpt-nominator"]),
        new("education", "demo-education-nominator", "Demo Education MACPT Nominations Lead", ["macpt-nominator"]),
        new("probation", "demo-probation-nominator", "Demo Probation MACPT Nominations Lead", ["macpt-nominator"]),
    ];

    /// <summary>
    /// The demo people their agencies would have nominated to the MACPT (its lead practitioners, chairs and the agencies'
    /// members), with the role each takes in cases: the development directory of nominations.
    /// </summary>
    public static IEnumerable<(DemoUser User, string Role)> MacptNominees()
    {
        string[] macpt = ["lcpp", "macpt-member", "dsl", "safeguarding-nurse", "conference-chair"];
        return Users.Where(u => u.Roles.Any(macpt.Contains))
            .Select(u => (u, u.Roles.Contains("lcpp") || u.Roles.Contains("conference-chair") ? "lcpp" : u.Agency));
    }

    /// <summary>The hub's own client at the development issuers: a public client that must use PKCE.</summary>
    public const string SignInClientId = "sharinghub-dev";
    private static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);
    private readonly Dictionary<string, ECDsaSecurityKey> _keys = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PendingCode> _codes = new(StringComparer.Ordinal);
    private readonly IdentityOptions _options;
    private readonly TimeProvider _clock;

    public DevelopmentIdentityProvider(IOptions<IdentityOptions> options, IHostEnvironment environment, TrustRegistryHolder registry,
        PolicyDecisionPoint policy, TimeProvider clock, Core.Crypto.IKeyEncryptionKeyProvider keks)
    {
        if (environment.IsProduction())
        {
            throw new Core.StartRefusedException("the development identity provider never runs in Production; set SharingHub:Identity:DevelopmentIdentityProvider to false");
        }
        _options = options.Value;
        _clock = clock;
        foreach (var agency in policy.Policy.Agencies.Keys)
        {
            // Each development issuer's key is kept with the hub's other keys (wrapped by the key ring), so a
            // token taken before a restart still verifies after it, as a real agency's would.
            var key = new HubSigningKeys(KeyPath(_options.SigningKeyPath, agency), TimeSpan.FromHours(1), keks, clock).Current;
            _keys[agency] = key;
            registry.AddLocalIssuer(new TrustedIssuer(agency, IssuerFor(agency), null, new Uri(IssuerFor(agency) + "/.well-known/openid-configuration"),
                new HashSet<string>(StringComparer.Ordinal) { _options.EffectiveAudience },
                new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "at+jwt" },
                new ClaimMapping("sub", "name", "roles"), TimeSpan.FromHours(1), new SignInClient(SignInClientId, null)), [key]);
        }
    }

    /// <summary>Beside the token service's signing keys: data/dev-idp-{agency}-keys.json by default.</summary>
    public static string KeyPath(string signingKeyPath, string agency) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(signingKeyPath))!, $"dev-idp-{agency}-keys.json");

    public string IssuerFor(string agency) => $"{_options.Issuer}/dev-idp/{agency}";

    public IReadOnlyDictionary<string, string>? PublicJwk(string agency) => _keys.TryGetValue(agency, out var key) ? HubSigningKeys.PublicJwk(key) : null;

    public string CallbackUri => _options.Issuer + "/signin/callback";

    public static DemoUser? User(string agency, string subject) => Users.FirstOrDefault(u => u.Subject == subject && u.Agency == agency);

    /// <summary>An access token for a demo user, signed by the user's own agency's development issuer.</summary>
    public string? IssueFor(string subject)
    {
        var user = Users.FirstOrDefault(u => u.Subject == subject);
        return user is null ? null : Sign(user, _options.EffectiveAudience, "at+jwt", TimeSpan.FromHours(1), null);
    }

    /// <summary>Checks an authorization request as a real provider would: our client, our exact redirect, PKCE with S256.</summary>
    public string? AuthorizationProblem(string? clientId, string? redirectUri, string? responseType, string? challenge, string? method) =>
        clientId != SignInClientId ? "unknown client"
        : redirectUri != CallbackUri ? "redirect_uri is not registered"
        : responseType != "code" ? "only response_type=code is supported"
        : method != "S256" || string.IsNullOrEmpty(challenge) ? "PKCE with S256 is required"
        : null;

    public string IssueCode(DemoUser user, string challenge, string? nonce)
    {
        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new PendingCode(user, challenge, nonce, _clock.GetUtcNow() + CodeLifetime);
        return code;
    }

    /// <summary>Redeems a code once, checking the PKCE verifier; returns the ID token and an access token.</summary>
    public (string IdToken, string AccessToken)? Redeem(string agency, string code, string? verifier, string? redirectUri, string? clientId)
    {
        if (!_codes.TryRemove(code, out var pending) || pending.ExpiresAt < _clock.GetUtcNow() || pending.User.Agency != agency
            || redirectUri != CallbackUri || clientId != SignInClientId || string.IsNullOrEmpty(verifier))
        {
            return null;
        }
        var computed = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(computed), System.Text.Encoding.ASCII.GetBytes(pending.Challenge)))
        {
            return null;
        }
        return (Sign(pending.User, SignInClientId, "JWT", TimeSpan.FromMinutes(5), pending.Nonce),
            Sign(pending.User, _options.EffectiveAudience, "at+jwt", TimeSpan.FromHours(1), null));
    }

    private string Sign(DemoUser user, string audience, string type, TimeSpan lifetime, string? nonce)
    {
        var now = _clock.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["sub"] = user.Subject,
            ["name"] = user.Name,
            ["roles"] = user.Roles,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (user.Organisation is not null)
        {
            claims["org"] = user.Organisation;
        }
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerFor(user.Agency),
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            TokenType = type,
            SigningCredentials = new SigningCredentials(_keys[user.Agency], SecurityAlgorithms.EcdsaSha256),
            Claims = claims,
        });
    }

    private sealed record PendingCode(DemoUser User, string Challenge, string? Nonce, DateTimeOffset ExpiresAt);
}

