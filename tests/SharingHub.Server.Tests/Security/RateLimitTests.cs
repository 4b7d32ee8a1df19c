using System.Net;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>One person, one system or one address cannot flood the hub: 429 with Retry-After, in each API's own error format (issue 18 #9).</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?>
    {
        ["SharingHub:RateLimits:PersonRequestsPerMinute"] = "4",
        ["SharingHub:RateLimits:AnonymousRequestsPerMinute"] = "3",
    });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    /// <summary>Limits count per clock minute (the same window on every node): a test of exact counts starts well inside one.</summary>
    internal static async Task InsideOneMinuteAsync()
    {
        if (DateTime.UtcNow.Second >= 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        }
    }

    [Fact]
    public async Task Given_a_person_over_their_limit_then_each_api_answers_429_in_its_own_format_while_another_person_is_still_served()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;
        await InsideOneMinuteAsync();
        for (var i = 0; i < 4; i++)
        {
            using var allowed = await _hub.TriageAsync("/fhir/Patient?family=Nobody&birthdate=2015-01-01", "demo-la-front-door", triage);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var fhir = await _hub.TriageAsync("/fhir/Patient?family=Nobody&birthdate=2015-01-01", "demo-la-front-door", triage);
        using var odata = await _hub.TriageAsync("/odata/Events?$top=1", "demo-la-front-door", triage);
        using var workflow = await _hub.GetAsync("/me", "demo-la-front-door");
        using var other = await _hub.GetAsync("/me", "demo-la-lcpp");

        Assert.Equal(HttpStatusCode.TooManyRequests, fhir.StatusCode);
        Assert.True(int.Parse(Assert.Single(fhir.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.Equal("throttled", (await FhirTestHub.JsonAsync(fhir)).GetProperty("issue")[0].GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.TooManyRequests, odata.StatusCode);
        Assert.Equal("TooManyRequests", (await FhirTestHub.JsonAsync(odata)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.TooManyRequests, workflow.StatusCode);
        Assert.Equal("application/problem+json", workflow.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Given_callers_without_a_valid_token_then_their_address_is_limited_too()
    {
        var statuses = new List<HttpStatusCode>();
        await InsideOneMinuteAsync();
        for (var i = 0; i < 5; i++)
        {
            using var response = await _hub.GetAsync("/fhir/metadata", null);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }
}
