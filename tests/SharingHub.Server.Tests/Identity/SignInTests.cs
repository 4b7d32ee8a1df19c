using System.Net;
using System.Text.RegularExpressions;
using SharingHub.Data.Storage;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Server.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Identity;

/// <summary>People signing in at their agency's (development) identity provider, over real HTTP on Kestrel.</summary>
public sealed partial class SignInTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private HubFactory _hub = null!;
    private string _base = "";

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var port = Loopback.FreePort();
        _base = $"http://127.0.0.1:{port}";
        _hub = new HubFactory(_database, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Identity:PublicBaseUrl"] = _base,
            ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true",
        });
        _hub.UseKestrel(port);
        _hub.StartServer();
    }

    private HttpClient Browser(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(_base) };

    [Fact]
    public async Task Given_a_person_at_the_council_when_they_sign_in_at_its_identity_provider_then_the_landing_page_shows_who_they_are_and_their_agency()
    {
        using var browser = Browser(new CookieContainer());

        var (authorize, fields) = await StartAsync(browser, "la");
        fields["user"] = "demo-la-lcpp";
        using var chosen = await browser.PostAsync(authorize, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, chosen.StatusCode);
        using var callback = await browser.GetAsync(chosen.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var landing = await browser.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("data-testid=\"subject\">demo-la-lcpp<", landing, StringComparison.Ordinal);
        Assert.Contains("(la)</dd>", landing, StringComparison.Ordinal);
        Assert.Contains("lcpp, macpt-member", landing, StringComparison.Ordinal);
        var session = callback.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sh.session=", StringComparison.Ordinal));
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", session, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Given_the_agencys_identity_provider_cannot_be_reached_when_a_person_signs_in_then_503_says_so_and_nothing_is_signed_in()
    {
        // A hub whose public address (where its development provider's discovery document is fetched from) has nothing
        // listening: as an agency's provider that is down. Before, the sign-in answered 500, "unexpected".
        var port = Loopback.FreePort();
        await using var hub = new HubFactory(_database, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Identity:PublicBaseUrl"] = $"http://127.0.0.1:{Loopback.FreePort()}",
            ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true",
        });
        hub.UseKestrel(port);
        hub.StartServer();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var response = await browser.GetAsync(new Uri("/signin?agency=la", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter is not null, "a Retry-After");
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("identity provider could not be reached", page, StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("sh.", StringComparison.Ordinal)), "no sign-in state or session");
    }

    [Fact]
    public async Task Given_a_person_signs_out_then_a_copy_of_their_session_cookie_no_longer_signs_anyone_in()
    {
        var cookies = new CookieContainer();
        using var browser = Browser(cookies);
        var (authorize, fields) = await StartAsync(browser, "la");
        fields["user"] = "demo-la-lcpp";
        using (var chosen = await browser.PostAsync(authorize, new FormUrlEncodedContent(fields)))
        using (await browser.GetAsync(chosen.Headers.Location))
        {
        }
        var copied = cookies.GetCookies(new Uri(_base))["sh.session"]!.Value;
        Assert.Contains("demo-la-lcpp", await browser.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);

        using (await browser.PostAsync(new Uri("/signout", UriKind.Relative), null))
        {
        }
        using var replay = new HttpClient { BaseAddress = new Uri(_base) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Cookie", "sh.session=" + copied);
        using var landing = await replay.SendAsync(request);

        var page = await landing.Content.ReadAsStringAsync();
        Assert.DoesNotContain("demo-la-lcpp", page, StringComparison.Ordinal);
        Assert.Contains("Sign in with", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_forwarded_headers_from_a_proxy_nobody_configured_then_the_audit_records_the_real_client()
    {
        using var client = new HttpClient { BaseAddress = new Uri(_base) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _hub.Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor("demo-police-officer"));
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await using var db = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
        var entry = db.AuditEntries.OrderByDescending(a => a.Sequence).First(a => a.Action == "identity.me");
        Assert.DoesNotContain("203.0.113.9", entry.Body, StringComparison.Ordinal);
        Assert.Contains("\"clientAddress\":\"127.0.0.1\"", entry.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_hub_behind_tls_then_its_session_cookie_is_host_prefixed_and_secure()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Identity:PublicBaseUrl"] = "https://hub.example.org",
            ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true",
        });
        var options = hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>>()
            .Get(PeopleSignIn.CookieScheme);

        Assert.Equal("__Host-sh.session", options.Cookie.Name);
        Assert.Equal(Microsoft.AspNetCore.Http.CookieSecurePolicy.Always, options.Cookie.SecurePolicy);
        Assert.Equal("/", options.Cookie.Path);
    }

    [Fact]
    public async Task Given_a_callback_whose_state_does_not_match_then_no_session_is_made()
    {
        using var browser = Browser(new CookieContainer());
        var (authorize, fields) = await StartAsync(browser, "police");
        fields["user"] = "demo-police-officer";
        using var chosen = await browser.PostAsync(authorize, new FormUrlEncodedContent(fields));
        var forged = Regex.Replace(chosen.Headers.Location!.ToString(), "state=[^&]+", "state=forged");

        using var callback = await browser.GetAsync(new Uri(forged));

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        Assert.Contains("Sign in with", await browser.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_code_when_redeemed_with_a_wrong_verifier_or_twice_then_the_identity_provider_refuses()
    {
        using var browser = Browser(new CookieContainer());
        var (authorize, fields) = await StartAsync(browser, "health");
        fields["user"] = "demo-health-practitioner";
        using var chosen = await browser.PostAsync(authorize, new FormUrlEncodedContent(fields));
        var code = CodePattern().Match(chosen.Headers.Location!.ToString()).Groups[1].Value;
        var redeem = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["client_id"] = "sharinghub-dev",
            ["redirect_uri"] = _base + "/signin/callback", ["code_verifier"] = "not-the-verifier-not-the-verifier-not-the-verifier",
        };

        using var wrong = await browser.PostAsync(new Uri("/dev-idp/health/token", UriKind.Relative), new FormUrlEncodedContent(redeem));
        using var again = await browser.PostAsync(new Uri("/dev-idp/health/token", UriKind.Relative), new FormUrlEncodedContent(redeem));

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task Given_an_authorization_request_with_another_redirect_uri_then_the_identity_provider_refuses_it()
    {
        using var browser = Browser(new CookieContainer());
        using var response = await browser.GetAsync(new Uri(
            "/dev-idp/la/authorize?response_type=code&client_id=sharinghub-dev&redirect_uri=https%3A%2F%2Fattacker.example%2Fcb&code_challenge=abc&code_challenge_method=S256",
            UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Given_production_when_the_development_identity_provider_is_enabled_then_the_hub_refuses_to_start()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database, "Production", HubFactory.InProduction(new Dictionary<string, string?> { ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true" }));
        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains("never runs in Production", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Starts a sign-in at the agency's development identity provider: where to post the chosen person, and the form's hidden fields.</summary>
    internal static async Task<(Uri Authorize, Dictionary<string, string> Fields)> StartAsync(HttpClient browser, string agency)
    {
        using var start = await browser.GetAsync(new Uri($"/signin?agency={agency}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.Contains("code_challenge_method=S256", authorize.Query, StringComparison.Ordinal);
        var page = await browser.GetStringAsync(authorize);
        var fields = HiddenField().Matches(page).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        return (new Uri(authorize.GetLeftPart(UriPartial.Path)), fields);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();

    [GeneratedRegex("code=([^&]+)")]
    private static partial Regex CodePattern();

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _database.DisposeAsync();
    }
}
