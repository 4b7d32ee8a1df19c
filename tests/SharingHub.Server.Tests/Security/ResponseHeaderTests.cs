using System.Net;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>No response is cached, sniffed or framed, and pages say their charset (issue 18, items 9 and 14).</summary>
public sealed class ResponseHeaderTests : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Theory]
    [InlineData("/fhir/metadata", null)]
    [InlineData("/odata/People", "demo-la-front-door")]
    [InlineData("/fhir/Patient?family=Nobody&birthdate=2015-01-01", "demo-la-front-door")]
    [InlineData("/", null)]
    [InlineData("/fhir/Patient/not-a-record", "demo-la-front-door")]
    public async Task Given_any_response_then_it_is_not_stored_sniffed_framed_or_referred(string path, string? user)
    {
        using var response = await _hub.GetAsync(path, user, user is null ? null : "front-door-triage");

        Assert.True(response.StatusCode < HttpStatusCode.InternalServerError, $"{path}: {(int)response.StatusCode}");
        Assert.True(response.Headers.CacheControl?.NoStore, $"{path}: Cache-Control {response.Headers.CacheControl}");
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Contains("frame-ancestors 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_forged_host_header_then_every_absolute_link_still_names_the_configured_public_url()
    {
        var c = await _hub.CaseAsync();
        void Forged(HttpRequestMessage request) => request.Headers.Host = "attacker.example";

        using var fhir = await _hub.SendAsync(HttpMethod.Get, $"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id, change: Forged);
        var referral = await _hub.ReferralAsync(c.LaChild);
        using var odata = await _hub.SendAsync(HttpMethod.Get, "/odata/People?$top=1", "demo-la-front-door", "front-door-triage", change: r =>
        {
            Forged(r);
            r.Headers.TryAddWithoutValidation("X-Referral-Id", referral.Id.ToString());
        });

        var fhirText = await fhir.Content.ReadAsStringAsync();
        var odataText = await odata.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, fhir.StatusCode);
        Assert.Equal(HttpStatusCode.OK, odata.StatusCode);
        Assert.DoesNotContain("attacker.example", fhirText, StringComparison.Ordinal);
        Assert.DoesNotContain("attacker.example", odataText, StringComparison.Ordinal);
        Assert.Contains("\"fullUrl\":\"http://127.0.0.1:5080/fhir/", fhirText, StringComparison.Ordinal);
        Assert.Contains("\"@odata.context\":\"http://127.0.0.1:5080/odata/", odataText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_sign_in_page_then_it_is_html_in_utf_8()
    {
        using var response = await _hub.GetAsync("/", null);

        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
    }
}
