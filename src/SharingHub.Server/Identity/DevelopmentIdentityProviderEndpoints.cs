using System.Net;
using System.Text;
using Microsoft.Extensions.Options;

namespace SharingHub.Server.Identity;

/// <summary>
/// The development identity provider's endpoints: per-agency discovery and JWKS, an authorize page
/// that lets you pick a demo user (authorization code with PKCE), its token endpoint, and a direct
/// token for a named demo user for scripts. None of it is mapped unless enabled, and never in Production.
/// </summary>
internal static class DevelopmentIdentityProviderEndpoints
{
    public static WebApplication MapDevelopmentIdentityProvider(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.DevelopmentIdentityProvider)
        {
            return app;
        }
        var idp = app.Services.GetRequiredService<DevelopmentIdentityProvider>();
        var group = app.MapGroup("/dev-idp").AllowAnonymous().DisableAntiforgery();
        group.MapGet("/users", () => Results.Json(DevelopmentIdentityProvider.Users.Select(u => new { u.Agency, u.Subject, u.Name, u.Roles })));
        group.MapGet("/{agency}/.well-known/openid-configuration", (string agency) => idp.PublicJwk(agency) is null
            ? Results.NotFound()
            : Results.Json(new
            {
                issuer = idp.IssuerFor(agency),
                authorization_endpoint = idp.IssuerFor(agency) + "/authorize",
                token_endpoint = idp.IssuerFor(agency) + "/token",
                jwks_uri = idp.IssuerFor(agency) + "/jwks",
                response_types_supported = new[] { "code" },
                grant_types_supported = new[] { "authorization_code" },
                code_challenge_methods_supported = new[] { "S256" },
                subject_types_supported = new[] { "public" },
                id_token_signing_alg_values_supported = new[] { "ES256" },
                token_endpoint_auth_methods_supported = new[] { "none" },
                scopes_supported = new[] { "openid", "profile" },
            }));
        group.MapGet("/{agency}/jwks", (string agency) => idp.PublicJwk(agency) is { } jwk ? Results.Json(new { keys = new[] { jwk } }) : Results.NotFound());
        group.MapGet("/{agency}/authorize", (string agency, HttpRequest request) =>
        {
            var q = request.Query;
            var problem = idp.AuthorizationProblem(q["client_id"], q["redirect_uri"], q["response_type"], q["code_challenge"], q["code_challenge_method"]);
            return problem is not null || idp.PublicJwk(agency) is null
                ? Results.Content(Page.Message("Sign-in request refused", problem ?? "unknown agency"), "text/html; charset=utf-8", statusCode: 400)
                : Results.Content(ChooseUser(agency, q), "text/html; charset=utf-8");
        });
        group.MapPost("/{agency}/authorize", async (string agency, HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var problem = idp.AuthorizationProblem(form["client_id"], form["redirect_uri"], form["response_type"], form["code_challenge"], form["code_challenge_method"]);
            var user = DevelopmentIdentityProvider.User(agency, form["user"].ToString());
            if (problem is not null || user is null)
            {
                return Results.Content(Page.Message("Sign-in request refused", problem ?? "no such demo user at this agency"), "text/html; charset=utf-8", statusCode: 400);
            }
            var code = idp.IssueCode(user, form["code_challenge"]!, form["nonce"].FirstOrDefault());
            return Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(idp.CallbackUri,
                new Dictionary<string, string?> { ["code"] = code, ["state"] = form["state"].FirstOrDefault() }));
        });
        group.MapPost("/{agency}/token", async (string agency, HttpRequest request) =>
        {
            var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
            if (form is null || form["grant_type"].ToString() != "authorization_code")
            {
                return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400);
            }
            var tokens = idp.Redeem(agency, form["code"].ToString(), form["code_verifier"], form["redirect_uri"], form["client_id"]);
            return tokens is { } t
                ? Results.Json(new { id_token = t.IdToken, access_token = t.AccessToken, token_type = "Bearer", expires_in = 3600 })
                : Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        });
        // For scripts and the README tour: a token for a named demo user, without a password. Development only.
        group.MapPost("/token", async (HttpContext context) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
            var token = idp.IssueFor(form?["username"].FirstOrDefault() ?? "");
            return token is null
                ? Results.Json(new { error = "invalid_grant", error_description = "no such demo user; see /dev-idp/users" }, statusCode: 400)
                : Results.Json(new { access_token = token, token_type = "Bearer", expires_in = 3600 });
        });
        return app;
    }

    private static string ChooseUser(string agency, IQueryCollection query)
    {
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var hidden = new StringBuilder();
        foreach (var name in new[] { "client_id", "redirect_uri", "response_type", "state", "nonce", "code_challenge", "code_challenge_method" })
        {
            hidden.Append($"<input type=\"hidden\" name=\"{name}\" value=\"{E(query[name])}\">");
        }
        var buttons = new StringBuilder();
        foreach (var user in DevelopmentIdentityProvider.Users.Where(u => u.Agency == agency))
        {
            buttons.Append($"<p><button type=\"submit\" name=\"user\" value=\"{E(user.Subject)}\">{E(user.Name)}</button> <small>{E(string.Join(", ", user.Roles))}</small></p>");
        }
        return $$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development sign-in · {{E(agency)}}</title>
            <style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}button{padding:.5rem 1rem;font-size:1rem}</style></head>
            <body><main><h1>Development identity provider: {{E(agency)}}</h1>
            <p>Demo users only. This provider does not exist in Production.</p>
            <form method="post">{{hidden}}{{buttons}}</form></main></body></html>
            """;
    }
}
