namespace SharingHub.Server.Identity;

public sealed class IdentityOptions
{
    public const string Section = "SharingHub:Identity";

    /// <summary>The hub's public base URL: its issuer, and the base of its token endpoint.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>
    /// The base of every absolute link the hub writes (FHIR fullUrl and Location, OData context and next links):
    /// the configured public URL, so a forged Host header cannot point a client's next request elsewhere.
    /// </summary>
    public static string PublicBase(HttpContext http) =>
        http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<IdentityOptions>>().Value.Issuer;

    /// <summary>The audience every access token for this hub must name. Defaults to the public base URL.</summary>
    public string? Audience { get; set; }

    /// <summary>Trust registry files; by default the shipped one beside the policies and the operator's local one in data/.</summary>
    public List<string> TrustRegistryFiles { get; set; } = [];

    /// <summary>How often every node checks the trust registry files for a change (a partner registered or removed).</summary>
    public double TrustRegistryReloadSeconds { get; set; } = 5;

    /// <summary>The hub's token signing keys (private keys wrapped by the key ring's key-encryption key).</summary>
    public string SigningKeyPath { get; set; } = "data/signing-keys.json";

    /// <summary>Access tokens from the hub's token service live at most this long (SMART Backend Services: 300 seconds).</summary>
    public int AccessTokenLifetimeSeconds { get; set; } = 300;

    /// <summary>Clock skew allowed when checking token lifetimes.</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    /// <summary>The development identity provider with demo users of every agency. Refused in Production.</summary>
    public bool DevelopmentIdentityProvider { get; set; }

    /// <summary>
    /// Token requests each client address may make per minute (0: no limit). A partner system needs a few an
    /// hour; a flood of assertions is refused with 429 before any signature is checked. Counted across hub nodes on PostgreSQL.
    /// </summary>
    public int TokenRequestsPerMinute { get; set; } = 120;

    /// <summary>A person's session ends this long after they signed in, however busy (hours).</summary>
    public int SessionLifetimeHours { get; set; } = 8;

    /// <summary>A person's session ends after this long without a request (minutes): a screen left open does not stay signed in.</summary>
    public int SessionIdleMinutes { get; set; } = 30;

    public string Issuer => PublicBaseUrl.TrimEnd('/');
    public string TokenEndpoint => Issuer + "/token";
    public string EffectiveAudience => Audience ?? Issuer;
}
