namespace SharingHub.Policies.Trust;

/// <summary>Where a token's claims about the person are: claim names differ between agencies' identity providers.</summary>
public sealed record ClaimMapping(string Subject, string Name, string Roles)
{
    /// <summary>The claim naming the person's organisation (organisations.yaml); absent in a token: the sector's default.</summary>
    public string Organisation { get; init; } = "org";
}

/// <summary>
/// How the hub signs people in at an agency's issuer (authorization code with PKCE): the hub's client id
/// there, and the name of the environment variable holding its secret (never the secret itself).
/// </summary>
public sealed record SignInClient(string ClientId, string? ClientSecretEnvironmentVariable);

/// <summary>An agency's OpenID Connect issuer. A token it signs belongs to this agency, whatever the token says.</summary>
public sealed record TrustedIssuer(
    string Agency,
    string Issuer,
    Uri? JwksUri,
    Uri? DiscoveryUri,
    IReadOnlySet<string> Audiences,
    IReadOnlySet<string> TokenTypes,
    ClaimMapping Claims,
    TimeSpan MaxLifetime,
    SignInClient? SignIn = null);

/// <summary>A partner case system registered to an agency, authenticating with a signed client assertion.</summary>
public sealed record RegisteredClient(
    string ClientId,
    string Agency,
    string Name,
    string? Jwks,
    Uri? JwksUri,
    IReadOnlySet<string> Scopes)
{
    /// <summary>The organisation the system keeps records for (organisations.yaml): the agency's default when the registration names none.</summary>
    public string? Organisation { get; init; }

    /// <summary>
    /// The role its tokens carry: <see cref="SystemRole"/> (a case system acting for its agency), or a role that only asks the
    /// MAIS person-info-query (a neighbouring hub: it may ask, and it reads and writes nothing).
    /// </summary>
    public string Role { get; init; } = SystemRole;

    public const string SystemRole = "system";
}

/// <summary>
/// A partner that answers the MAIS person-info-query itself (brokered sharing): where to ask, how the hub
/// authenticates there (client credentials with a signed assertion, from its own key file, never in the
/// repository), and how long and how many at once.
/// </summary>
public sealed record RegisteredPartner(
    string Name,
    string Agency,
    Uri BaseUrl,
    Uri TokenEndpoint,
    string ClientId,
    string KeyFile,
    string Scope,
    TimeSpan Timeout,
    int MaxConcurrency)
{
    /// <summary>
    /// The agencies the partner may answer for: a hub answers for several (its own and those it federates), a case system
    /// for its own agency (the default). An answer naming any other agency is refused.
    /// </summary>
    public IReadOnlySet<string> SpeaksFor { get; init; } = new HashSet<string>(StringComparer.Ordinal) { Agency };
}

public sealed record TrustRegistry(IReadOnlyList<TrustedIssuer> Issuers, IReadOnlyList<RegisteredClient> Clients)
{
    public IReadOnlyList<RegisteredPartner> Partners { get; init; } = [];

    public static TrustRegistry Empty { get; } = new([], []);

    public TrustedIssuer? FindIssuer(string issuer) => Issuers.FirstOrDefault(i => string.Equals(i.Issuer, issuer, StringComparison.Ordinal));

    public RegisteredClient? FindClient(string clientId) => Clients.FirstOrDefault(c => string.Equals(c.ClientId, clientId, StringComparison.Ordinal));

    public TrustRegistry With(IEnumerable<TrustedIssuer> issuers, IEnumerable<RegisteredClient> clients) =>
        new([.. Issuers, .. issuers], [.. Clients, .. clients]) { Partners = Partners };
}
