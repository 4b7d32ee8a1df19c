using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SharingHub.Server.Identity;

/// <summary>
/// Bearer authentication through <see cref="AccessTokenValidator"/>. A refused token gets a plain 401
/// with <c>WWW-Authenticate: Bearer error="invalid_token"</c>: the reason goes to the log, never to the caller.
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
            return AuthenticateResult.Fail("not a single bearer token");
        }
        var result = await validator.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (result.Principal is not { } principal)
        {
            Logger.LogInformation("Bearer token refused: {Reason}", result.Failure);
            return AuthenticateResult.Fail("invalid token");
        }
        Context.SetHubPrincipal(principal);
        return AuthenticateResult.Success(new AuthenticationTicket(principal.ToClaimsPrincipal(), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Context.Items.ContainsKey(TokenPresentKey)
            ? "Bearer realm=\"sharinghub\", error=\"invalid_token\""
            : "Bearer realm=\"sharinghub\"";
        return Task.CompletedTask;
    }
}
