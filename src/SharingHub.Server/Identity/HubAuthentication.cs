using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SharingHub.Server.Identity;

/// <summary>
/// Bearer authentication through <see cref="AccessTokenValidator"/>. A refused token gets a 401 with
/// <c>WWW-Authenticate: Bearer error="invalid_token", error_description="..."</c> (RFC 6750) naming which
/// check failed in a few fixed words (expired, unknown key, wrong audience...); the detailed reason goes to
/// the log, never to the caller.
/// </summary>
internal sealed class HubAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    AccessTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "SharingHub";
    private const string TokenPresentKey = "SharingHub.TokenPresent";
    private const string RefusalKey = "SharingHub.TokenRefusal";

    /// <summary>The caller's words for a refusal: one of a fixed few, so nothing about the hub's keys or registry leaks.</summary>
    public static string Describe(string? failure) => failure switch
    {
        null => "the token is not valid",
        _ when failure.Contains("Expired", StringComparison.Ordinal) => "the token has expired",
        _ when failure.Contains("NotYetValid", StringComparison.Ordinal) => "the token is not valid yet",
        _ when failure.Contains("Audience", StringComparison.Ordinal) => "the token is for another audience",
        _ when failure.Contains("SignatureKeyNotFound", StringComparison.Ordinal) || failure.Contains("key", StringComparison.OrdinalIgnoreCase) => "the token is signed with a key the hub does not know",
        _ when failure.Contains("Signature", StringComparison.Ordinal) => "the token's signature does not verify",
        _ when failure.Contains("issuer", StringComparison.OrdinalIgnoreCase) => "the token's issuer is not trusted",
        _ when failure.Contains("organisation", StringComparison.Ordinal) => "the token names an organisation outside its agency",
        _ when failure.Contains("client", StringComparison.OrdinalIgnoreCase) => "the token's client is not registered",
        _ => "the token is not valid",
    };

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }
        Context.Items[TokenPresentKey] = true;
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || Request.Headers.Authorization.Count != 1)
        {
            Context.Items[RefusalKey] = "send one Authorization header with a Bearer token";
            return AuthenticateResult.Fail("not a single bearer token");
        }
        TokenValidation result;
        using (Core.Telemetry.HubDiagnostics.Source.StartActivity("auth.token"))
        {
            result = await validator.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        }
        if (result.Principal is not { } principal)
        {
            Logger.LogInformation("Bearer token refused: {Reason}", result.Failure);
            Context.Items[RefusalKey] = Describe(result.Failure);
            return AuthenticateResult.Fail("invalid token");
        }
        Context.SetHubPrincipal(principal);
        return AuthenticateResult.Success(new AuthenticationTicket(principal.ToClaimsPrincipal(), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (!Context.Items.ContainsKey(TokenPresentKey))
        {
            Response.Headers.WWWAuthenticate = "Bearer realm=\"sharinghub\"";
            await Response.WriteAsJsonAsync(new { error = "invalid_request", error_description = "this request needs a Bearer access token" });
            return;
        }
        var description = Context.Items[RefusalKey] as string ?? "the token is not valid";
        Response.Headers.WWWAuthenticate = $"Bearer realm=\"sharinghub\", error=\"invalid_token\", error_description=\"{description}\"";
        await Response.WriteAsJsonAsync(new { error = "invalid_token", error_description = description });
    }
}
