using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Server.Identity;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Identity;

/// <summary>A development user's token taken before a restart still works after it: the development issuers keep their keys (issue 17, item 6).</summary>
public sealed class DevelopmentKeysTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Given_a_token_from_before_a_restart_then_the_restarted_hub_accepts_it()
    {
        await using var first = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite);
        var token = first.Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor("demo-police-officer")!;
        using (var before = await Me(first, token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await using var restarted = FhirTestHub.Over(first.Database);
        using var after = await Me(restarted, token);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.True(File.Exists(Path.Combine(first.Database.Folder, "dev-idp-police-keys.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(first.Database.Folder, "dev-idp-police-keys.json")));
    }

    [Theory]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/.well-known/smart-configuration")]
    public async Task Given_discovery_then_it_advertises_only_what_the_token_service_serves(string path)
    {
        await using var hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite);
        using var response = await hub.GetAsync(path, null);
        var discovery = await FhirTestHub.JsonAsync(response);

        Assert.Equal(["client_credentials"], discovery.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
        Assert.False(discovery.TryGetProperty("id_token_signing_alg_values_supported", out _));
        Assert.False(discovery.TryGetProperty("authorization_endpoint", out _));
        Assert.True(!discovery.TryGetProperty("response_types_supported", out var types) || types.GetArrayLength() == 0);
    }

    [Fact]
    public async Task Given_a_flood_of_token_requests_from_one_address_then_those_past_the_limit_get_429_with_retry_after()
    {
        await using var hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["SharingHub:Identity:TokenRequestsPerMinute"] = "5" });
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        await Security.RateLimitTests.InsideOneMinuteAsync();
        for (var i = 0; i < 8; i++)
        {
            last?.Dispose();
            last = await hub.Client.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = "forged." + i + ".assertion", ["scope"] = "system/*.rs",
            }));
            statuses.Add(last.StatusCode);
        }

        Assert.All(statuses.Take(5), s => Assert.NotEqual(HttpStatusCode.TooManyRequests, s));
        Assert.All(statuses.Skip(5), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        // Until the minute's window ends.
        Assert.InRange(int.Parse(last!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        last.Dispose();
    }

    private static async Task<HttpResponseMessage> Me(FhirTestHub hub, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await hub.Client.SendAsync(request);
    }
}
