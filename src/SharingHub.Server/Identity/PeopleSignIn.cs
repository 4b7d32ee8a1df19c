using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Trust;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Identity;

/// <summary>
/// Sign-in for people (MACPT members, IG officers) at their own agency's OpenID Connect issuer:
/// authorization code flow with PKCE (S256), state and nonce, ending in an HttpOnly session cookie.
/// The hub never sees a password, and a person's agency is the agency of the issuer they signed in at.
/// </summary>
internal sealed class PeopleSignIn(
    TrustRegistryHolder registry,
    IssuerKeyCache keys,
    IHttpClientFactory http,
    IDataProtectionProvider protection,
    PolicyDecisionPoint policy,
    IOptions<IdentityOptions> options,
    TimeProvider clock,
    ILogger<PeopleSignIn> log)
{
    public const string CookieScheme = "SharingHub.Session";
    private const string StateCookie = "sh.signin";
    private static readonly TimeSpan StateLifetime = TimeSpan.FromMinutes(10);
    private readonly IDataProtector _protector = protection.CreateProtector("SharingHub.SignIn.v1");

    public string CallbackUri => options.Value.Issuer + "/signin/callback";

    public IReadOnlyList<TrustedIssuer> SignInIssuers => registry.Current.Issuers.Where(i => i.SignIn is not null).ToList();

    public async Task<IResult> ChallengeAsync(HttpContext context, string agency)
    {
        var issuer = SignInIssuers.FirstOrDefault(i => i.Agency == agency);
        if (issuer is null)
        {
            return Results.BadRequest("no sign-in is registered for that agency");
        }
        if (await EndpointsAsync(issuer, context.RequestAborted) is not { } endpoints)
        {
            return ProviderUnavailable(context);
        }
        var state = Random();
        var nonce = Random();
        var verifier = Random() + Random();
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var saved = JsonSerializer.Serialize(new SignInState(issuer.Issuer, state, nonce, verifier, clock.GetUtcNow()));
        context.Response.Cookies.Append(StateCookie, _protector.Protect(saved), new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            MaxAge = StateLifetime,
            Path = "/signin",
        });
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = issuer.SignIn!.ClientId,
            ["redirect_uri"] = CallbackUri,
            ["scope"] = "openid profile",
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        return Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(endpoints.Authorization, query));
    }

    public async Task<IResult> CallbackAsync(HttpContext context, ILogger logger)
    {
        var saved = ReadState(context);
        context.Response.Cookies.Delete(StateCookie, new CookieOptions { Path = "/signin" });
        var state = context.Request.Query["state"].ToString();
        var code = context.Request.Query["code"].ToString();
        if (saved is null || code.Length == 0
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(state), Encoding.ASCII.GetBytes(saved.State)))
        {
            logger.LogInformation("Sign-in refused: missing or mismatched state");
            return Results.Content(Page.Message("Sign-in failed", "The sign-in could not be completed. Please start again."), "text/html; charset=utf-8", statusCode: 400);
        }
        var issuer = registry.Current.FindIssuer(saved.Issuer);
        if (issuer?.SignIn is null)
        {
            return Results.Content(Page.Message("Sign-in failed", "That identity provider is no longer trusted."), "text/html; charset=utf-8", statusCode: 400);
        }
        if (await EndpointsAsync(issuer, context.RequestAborted) is not { } endpoints)
        {
            return ProviderUnavailable(context);
        }
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = CallbackUri,
            ["client_id"] = issuer.SignIn.ClientId,
            ["code_verifier"] = saved.Verifier,
        };
        if (issuer.SignIn.ClientSecretEnvironmentVariable is { } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } secret)
        {
            form["client_secret"] = secret;
        }
        JsonElement body;
        try
        {
            using var response = await http.CreateClient(IssuerKeyCache.HttpClientName).PostAsync(new Uri(endpoints.Token), new FormUrlEncodedContent(form), context.RequestAborted);
            body = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>(context.RequestAborted) : default;
        }
        catch (Exception e) when (ProviderFailure(e, context))
        {
            return ProviderUnavailable(context);
        }
        var idToken = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("id_token", out var t) ? t.GetString() : null;
        var principal = idToken is null ? null : await ValidateIdTokenAsync(idToken, issuer, saved.Nonce);
        if (principal is null)
        {
            logger.LogInformation("Sign-in at {Issuer} for agency {Agency} refused: code exchange or ID token failed", issuer.Issuer, issuer.Agency);
            return Results.Content(Page.Message("Sign-in failed", "Your agency's identity provider did not confirm who you are."), "text/html; charset=utf-8", statusCode: 400);
        }
        await context.SignInAsync(CookieScheme, principal, new AuthenticationProperties { IsPersistent = false });
        context.RequestServices.GetRequiredService<Audit.AuditScope>().Caller = (issuer.Agency, principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown");
        logger.LogInformation("Person {Subject} of agency {Agency} signed in", principal.FindFirstValue(ClaimTypes.NameIdentifier), issuer.Agency);
        return Results.Redirect("/");
    }

    private async Task<ClaimsPrincipal?> ValidateIdTokenAsync(string idToken, TrustedIssuer issuer, string nonce)
    {
        var parts = JwtShape.Check(idToken, out _);
        var kid = parts?.HeaderString("kid");
        if (parts is null || kid is null)
        {
            return null;
        }
        var signingKeys = (await keys.KeysAsync(issuer, kid, CancellationToken.None)).Where(k => k.KeyId == kid).ToList();
        if (signingKeys.Count != 1)
        {
            return null;
        }
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = issuer.Issuer,
            ValidAudience = issuer.SignIn!.ClientId,
            IssuerSigningKey = signingKeys[0],
            ValidAlgorithms = AccessTokenValidator.AllowedAlgorithms,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(options.Value.ClockSkewSeconds),
            LifetimeValidator = (nbf, exp, _, p) => exp is { } e && e.ToUniversalTime() > clock.GetUtcNow().UtcDateTime - p.ClockSkew,
        });
        var tokenNonce = parts.PayloadString("nonce") ?? "";
        if (!result.IsValid || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(tokenNonce), Encoding.ASCII.GetBytes(nonce)))
        {
            return null;
        }
        var subject = parts.PayloadString(issuer.Claims.Subject);
        if (string.IsNullOrEmpty(subject))
        {
            return null;
        }
        var roles = parts.Payload.TryGetProperty(issuer.Claims.Roles, out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)
                .Where(code => policy.Policy.Roles.TryGetValue(code, out var role) && role.IsHeldAt(issuer.Agency))
            : [];
        // The person's organisation must be one of the issuer's agency's; a sign-in naming another is refused.
        if (policy.Policy.OrganisationIn(issuer.Agency, parts.PayloadString(issuer.Claims.Organisation)) is not { } organisation)
        {
            return null;
        }
        var identity = new ClaimsIdentity(CookieScheme, ClaimTypes.NameIdentifier, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, subject));
        identity.AddClaim(new Claim(HubPrincipal.AgencyClaim, issuer.Agency));
        identity.AddClaim(new Claim(HubPrincipal.OrganisationClaim, organisation.Code));
        identity.AddClaim(new Claim("sharinghub:issuer", issuer.Issuer));
        // One id per sign-in, so signing out ends this session for good (SignedOutSessions), not just its cookie in one browser.
        identity.AddClaim(new Claim(SignedOutSessions.SessionClaim, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))));
        // When the person signed in: the session's lifetime counts from here (a sliding renewal re-issues the cookie, not this).
        identity.AddClaim(new Claim(SignedOutSessions.SignedInClaim, clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (parts.PayloadString(issuer.Claims.Name) is { } name)
        {
            identity.AddClaim(new Claim(ClaimTypes.Name, name));
        }
        identity.AddClaims(roles.Distinct(StringComparer.Ordinal).Select(role => new Claim(ClaimTypes.Role, role)));
        return new ClaimsPrincipal(identity);
    }

    private SignInState? ReadState(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(StateCookie, out var protectedState))
        {
            return null;
        }
        try
        {
            var state = JsonSerializer.Deserialize<SignInState>(_protector.Unprotect(protectedState));
            return state is not null && clock.GetUtcNow() - state.CreatedAt < StateLifetime ? state : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The provider's endpoints from its discovery document; null when it cannot be reached or its document is not one.</summary>
    private async Task<(string Authorization, string Token)?> EndpointsAsync(TrustedIssuer issuer, CancellationToken cancellationToken)
    {
        try
        {
            var discovery = await http.CreateClient(IssuerKeyCache.HttpClientName).GetFromJsonAsync<JsonElement>(issuer.DiscoveryUri!, cancellationToken);
            if (discovery.ValueKind != JsonValueKind.Object || !discovery.TryGetProperty("issuer", out var named) || named.ValueKind != JsonValueKind.String
                || named.GetString() != issuer.Issuer
                || !discovery.TryGetProperty("authorization_endpoint", out var authorization) || authorization.GetString() is not { } authorize
                || !Uri.TryCreate(authorize, UriKind.Absolute, out _)
                || !discovery.TryGetProperty("token_endpoint", out var token) || token.GetString() is not { } tokens || !Uri.TryCreate(tokens, UriKind.Absolute, out _))
            {
                log.LogWarning("Sign-in at {Issuer}: its discovery document does not name it with an authorization and a token endpoint", issuer.Issuer);
                return null;
            }
            return (authorize, tokens);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            log.LogWarning("Sign-in at {Issuer}: its discovery document could not be read ({Error})", issuer.Issuer, e.GetType().Name);
            return null;
        }
    }

    /// <summary>The agency's provider failed the hub (unreachable, timed out, not JSON), not the person: 503, try again.</summary>
    private static bool ProviderFailure(Exception e, HttpContext context) =>
        e is HttpRequestException or JsonException || e is TaskCanceledException && !context.RequestAborted.IsCancellationRequested;

    private static IResult ProviderUnavailable(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "30";
        return Results.Content(Page.Message("Sign-in is unavailable", "Your agency's identity provider could not be reached, so you are not signed in. Try again in a few minutes."),
            "text/html; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private sealed record SignInState(string Issuer, string State, string Nonce, string Verifier, DateTimeOffset CreatedAt);
}

internal static class PeopleSignInEndpoints
{
    public static WebApplication MapPeopleSignIn(this WebApplication app)
    {
        var pages = app.MapGroup("").AllowAnonymous();
        pages.MapGet("/", async (HttpContext context, PeopleSignIn signIn, PolicyDecisionPoint policy) =>
        {
            var session = await context.AuthenticateAsync(PeopleSignIn.CookieScheme);
            return Pages.PageEndpoints.Render<Pages.HomePage>(200, session.Succeeded
                ? new() { ["SignedIn"] = Pages.SignedInPerson.Of(session.Principal!, policy) }
                : new() { ["Agencies"] = signIn.SignInIssuers.Select(i => (i.Agency, policy.Policy.Agencies[i.Agency].Name)).ToList() });
        });
        pages.MapGet("/signin", (HttpContext context, string agency, PeopleSignIn signIn) => signIn.ChallengeAsync(context, agency));
        pages.MapGet("/signin/callback", (HttpContext context, PeopleSignIn signIn, ILogger<PeopleSignIn> logger) => signIn.CallbackAsync(context, logger))
            .Audited("identity.sign-in");
        pages.MapPost("/signout", async (HttpContext context, SignedOutSessions signedOut, Audit.AuditScope audit, IOptions<IdentityOptions> identity) =>
        {
            var session = await context.AuthenticateAsync(PeopleSignIn.CookieScheme);
            if (session.Principal?.FindFirstValue(ClaimTypes.NameIdentifier) is { } who)
            {
                audit.Caller = (session.Principal.FindFirstValue(HubPrincipal.AgencyClaim) ?? "unknown", who);
            }
            if (session.Principal?.FindFirstValue(SignedOutSessions.SessionClaim) is { } sid && SignedOutSessions.SignedInAt(session.Principal) is { } signedIn)
            {
                // A copy of the cookie could keep sliding until the session's lifetime ends: refuse it until then.
                await signedOut.AddAsync(sid, signedIn.AddHours(identity.Value.SessionLifetimeHours), context.RequestAborted);
            }
            await context.SignOutAsync(PeopleSignIn.CookieScheme);
            return Results.Redirect("/");
        }).Audited("identity.sign-out");
        return app;
    }

    public static IServiceCollection AddPeopleSignIn(this IServiceCollection services)
    {
        services.AddSingleton<PeopleSignIn>();
        services.AddSingleton<SignedOutSessions>();
        services.AddAuthentication().AddCookie(PeopleSignIn.CookieScheme, o =>
        {
            o.Cookie.Name = "sh.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Events.OnValidatePrincipal = async context =>
            {
                var services = context.HttpContext.RequestServices;
                var sid = context.Principal?.FindFirstValue(SignedOutSessions.SessionClaim);
                var lifetime = TimeSpan.FromHours(services.GetRequiredService<IOptions<IdentityOptions>>().Value.SessionLifetimeHours);
                // The idle timeout slides with each request; the lifetime from sign-in does not.
                if (sid is null || SignedOutSessions.SignedInAt(context.Principal!) is not { } signedIn || signedIn + lifetime <= services.GetRequiredService<TimeProvider>().GetUtcNow()
                    || await services.GetRequiredService<SignedOutSessions>().ContainsAsync(sid, context.HttpContext.RequestAborted))
                {
                    context.RejectPrincipal();
                }
            };
            o.SlidingExpiration = true;
            o.LoginPath = "/";
        });
        services.AddOptions<CookieAuthenticationOptions>(PeopleSignIn.CookieScheme).Configure<IOptions<IdentityOptions>, TimeProvider>((o, identity, clock) =>
        {
            o.ExpireTimeSpan = TimeSpan.FromMinutes(identity.Value.SessionIdleMinutes);
            o.TimeProvider = clock;
        });
        services.AddOptions<CookieAuthenticationOptions>(PeopleSignIn.CookieScheme).Configure<IOptions<IdentityOptions>>((o, identity) =>
        {
            // Registered after AddCookie so it has the last word. Behind TLS (a public base URL on https) the session cookie is __Host-: Secure, path /, no Domain, so no
            // sibling host or plain-HTTP page can set or read it. On loopback development over http it cannot be.
            if (identity.Value.PublicBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                o.Cookie.Name = "__Host-sh.session";
                o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                o.Cookie.Path = "/";
            }
        });
        return services;
    }
}

/// <summary>
/// Sessions ended by signing out, kept until their cookie would have expired anyway: a copy of the cookie is refused
/// from then on, by every hub node (the mark is in the database; each node also remembers the ones it has seen).
/// </summary>
internal sealed class SignedOutSessions(Data.Cluster.ExpiringMarks marks, TimeProvider clock)
{
    public const string SessionClaim = "sharinghub:sid";
    public const string SignedInClaim = "sharinghub:signed-in";
    private const string Mark = "ended-session";

    public static DateTimeOffset? SignedInAt(ClaimsPrincipal person) =>
        long.TryParse(person.FindFirstValue(SignedInClaim), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _ended = new(StringComparer.Ordinal);

    public async Task AddAsync(string sid, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await marks.MarkAsync(Mark, sid, expires, cancellationToken);
        Remember(sid, expires);
    }

    public async Task<bool> ContainsAsync(string sid, CancellationToken cancellationToken)
    {
        if (_ended.TryGetValue(sid, out var until) && until > clock.GetUtcNow())
        {
            return true;
        }
        return await marks.IsMarkedAsync(Mark, sid, cancellationToken);
    }

    private void Remember(string sid, DateTimeOffset expires)
    {
        var now = clock.GetUtcNow();
        foreach (var old in _ended.Where(e => e.Value <= now).Select(e => e.Key).ToList())
        {
            _ended.TryRemove(old, out _);
        }
        _ended[sid] = expires;
    }
}
