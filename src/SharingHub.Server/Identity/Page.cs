using System.Net;
using System.Security.Claims;
using System.Text;
using SharingHub.Policies.Decisions;

namespace SharingHub.Server.Identity;

/// <summary>The few pages the hub serves so far; every value is HTML-encoded.</summary>
internal static class Page
{
    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Layout(string title, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}} · SharingHub</title>
        <style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
        h1{font-size:1.5rem}dt{font-weight:600}dd{margin:0 0 .5rem 0}a.button,button{display:inline-block;padding:.5rem 1rem;margin:.25rem 0;border:1px solid #1d70b8;border-radius:4px;background:#1d70b8;color:#fff;text-decoration:none;font-size:1rem;cursor:pointer}</style>
        </head><body><main>{{body}}</main></body></html>
        """;

    public static string Message(string title, string text) => Layout(title, $"<h1>{E(title)}</h1><p>{E(text)}</p><p><a href=\"/\">Back</a></p>");

    public static string SignInChoices(IEnumerable<(string Agency, string Name)> agencies)
    {
        var links = new StringBuilder();
        foreach (var (agency, name) in agencies)
        {
            links.Append($"<li><a class=\"button\" href=\"/signin?agency={WebUtility.UrlEncode(agency)}\">Sign in with {E(name)}</a></li>");
        }
        return Layout("Sign in", $"<h1>SharingHub</h1><p>Sign in with your own agency's account.</p><ul style=\"list-style:none;padding:0\">{links}</ul>");
    }

    public static string SignedIn(ClaimsPrincipal user, PolicyDecisionPoint policy)
    {
        var agency = user.FindFirstValue(HubPrincipal.AgencyClaim) ?? "";
        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var agencyName = policy.Policy.Agencies.TryGetValue(agency, out var a) ? a.Name : agency;
        var organisation = user.FindFirstValue(HubPrincipal.OrganisationClaim) ?? "";
        var organisationName = policy.Policy.Organisations.TryGetValue(organisation, out var o) ? o.Name : organisation;
        var purposes = policy.PurposesFor(new Principal(agency, user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "", roles));
        var body = $"""
            <h1>Signed in</h1>
            <dl>
              <dt>Name</dt><dd data-testid="name">{E(user.FindFirstValue(ClaimTypes.Name))}</dd>
              <dt>User</dt><dd data-testid="subject">{E(user.FindFirstValue(ClaimTypes.NameIdentifier))}</dd>
              <dt>Agency</dt><dd data-testid="agency">{E(agencyName)} ({E(agency)})</dd>
              <dt>Organisation</dt><dd data-testid="organisation">{E(organisationName)} ({E(organisation)})</dd>
              <dt>Roles</dt><dd data-testid="roles">{E(string.Join(", ", roles.Order(StringComparer.Ordinal)))}</dd>
              <dt>Purposes you may work under</dt><dd>{E(string.Join(", ", purposes.Select(p => p.Title)))}</dd>
            </dl>
            <form method="post" action="/signout"><button type="submit">Sign out</button></form>
            """;
        return Layout("Signed in", body);
    }
}
