using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Server.Audit;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Audit;

/// <summary>Every request the hub serves to a caller is audited exactly once, provably (issue 20 #5).</summary>
public sealed class AuditCoverageTests : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?>
    {
        ["SharingHub:Benchmark:Baseline"] = "true",
    });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public void Given_every_endpoint_the_hub_maps_then_each_that_requires_a_caller_declares_its_audit_action_or_why_not()
    {
        var endpoints = _hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        var unaudited = endpoints
            .Where(e => e.Metadata.GetMetadata<IAuthorizeData>() is not null && e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Where(e => e.Metadata.GetMetadata<AuditActionAttribute>() is null && e.Metadata.GetMetadata<NotAuditedAttribute>() is null)
            .Select(e => e.RoutePattern.RawText).ToList();

        Assert.True(endpoints.Count > 40, $"only {endpoints.Count} endpoints found");
        Assert.Empty(unaudited);
        // The token service and sign-in take no bearer token, and are audited all the same.
        foreach (var path in new[] { "/token", "/signin/callback", "/signout" })
        {
            Assert.NotNull(endpoints.Single(e => e.RoutePattern.RawText == path).Metadata.GetMetadata<AuditActionAttribute>());
        }
    }

    [Fact]
    public async Task Given_a_token_request_then_it_is_audited_under_the_client_once_it_is_known_and_as_anonymous_before()
    {
        using var refused = await _hub.Client.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "password" }));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        await using var db = _hub.Contexts.Create();
        var entry = Assert.Single(await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.AuditEntries.Where(a => a.Action == "token.issue")));
        Assert.Equal(("none", "anonymous", "rejected"), (entry.Agency, entry.Actor, entry.Outcome));
        Assert.Equal(refused.Headers.GetValues("X-Request-Id").Single(), entry.RequestId);
    }

    [Fact]
    public async Task Given_a_request_whose_handler_fails_then_it_answers_500_with_no_data_and_has_exactly_one_audit_entry()
    {
        var c = await _hub.CaseAsync();
        await using (var db = _hub.Contexts.Create())
        {
            // A sealed value altered in the database is tampering: opening it fails, and the read must not go ahead unrecorded.
            await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlAsync(db.Database,
                $"UPDATE \"Events\" SET \"Summary\" = {new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40 }} WHERE \"Id\" = {c.LaVisit.Id}");
        }

        using var response = await _hub.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("Home visit", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        await using var check = _hub.Contexts.Create();
        var entries = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(check.AuditEntries.Where(a => a.RequestId == requestId));
        var entry = Assert.Single(entries);
        Assert.Equal(("fhir.read", "error"), (entry.Action, entry.Outcome));
    }
}
