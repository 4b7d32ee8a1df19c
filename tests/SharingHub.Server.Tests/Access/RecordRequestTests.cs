using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Access;

/// <summary>
/// Every request that reads records is opened one way (issue 20 #3): the endpoint declares it, one filter checks the
/// scope, purpose and enquiry before the handler, a refusal is audited and answered in the API's own format, and the
/// audit entry counts exactly the records the response carries.
/// </summary>
public abstract class RecordRequestTests(DatabaseEngine engine) : HubTest(engine)
{
    [Fact]
    public void Given_every_endpoint_whose_handler_reads_records_then_it_declares_that_it_opens_them_and_is_audited()
    {
        var endpoints = Hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var reading = endpoints.Where(e => e.Metadata.GetMetadata<MethodInfo>()?.GetParameters().Any(p => p.ParameterType == typeof(RecordAccess)) == true).ToList();

        Assert.True(reading.Count >= 10, $"only {reading.Count} record-reading endpoints found");
        Assert.All(reading, e => Assert.True(e.Metadata.GetMetadata<OpensRecordsAttribute>() is not null, $"{e.RoutePattern.RawText} opens records by hand"));
        Assert.All(endpoints.Where(e => e.Metadata.GetMetadata<OpensRecordsAttribute>() is not null),
            e => Assert.True(e.Metadata.GetMetadata<AuditActionAttribute>() is not null, $"{e.RoutePattern.RawText} opens records unaudited"));
    }

    [Theory]
    [InlineData("/fhir/Patient?family=Fhirtest", "resourceType")]
    [InlineData("/odata/People", "error")]
    [InlineData("/enquiries/{enquiry}", "code")]
    [InlineData("/enquiries/{enquiry}/strategy-meetings", "code")]
    public async Task Given_a_read_without_a_purpose_then_it_is_refused_in_the_apis_own_format_and_audited_once(string path, string formatProperty)
    {
        var c = await Hub.CaseAsync();

        using var response = await Hub.GetAsync(path.Replace("{enquiry}", c.Enquiry.Id.ToString(), StringComparison.Ordinal), "demo-la-lcpp");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await FhirTestHub.JsonAsync(response);
        Assert.True(body.TryGetProperty(formatProperty, out _), body.ToString());
        Assert.Contains("s47-enquiry", body.ToString(), StringComparison.Ordinal);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        await using var db = Hub.Contexts.Create();
        var entry = Assert.Single(await db.AuditEntries.Where(a => a.RequestId == requestId).ToListAsync());
        Assert.Equal(("rejected", "none"), (entry.Outcome, entry.Decision));
    }

    [Fact]
    public async Task Given_a_chronology_and_a_narrowed_task_search_then_each_audit_entry_counts_the_records_the_response_carries()
    {
        var c = await Hub.CaseAsync();

        using var chronology = await Hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var entries = (await FhirTestHub.JsonAsync(chronology)).GetProperty("entry").GetArrayLength();
        using var people = await Hub.GetAsync("/odata/People?$top=1", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var rows = (await FhirTestHub.JsonAsync(people)).GetProperty("value").GetArrayLength();

        Assert.True(entries >= 3, $"{entries} chronology entries");
        Assert.Equal(entries, await CountAsync(chronology));
        Assert.Equal(1, rows);
        Assert.Equal(1, await CountAsync(people));
    }

    private async Task<int> CountAsync(HttpResponseMessage response)
    {
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        await using var db = Hub.Contexts.Create();
        var entry = await db.AuditEntries.SingleAsync(a => a.RequestId == requestId);
        return JsonDocument.Parse(entry.Body).RootElement.GetProperty("count").GetInt32();
    }
}

public sealed class RecordRequestSqliteTests() : RecordRequestTests(DatabaseEngine.Sqlite);

public sealed class RecordRequestPostgresTests() : RecordRequestTests(DatabaseEngine.Postgres);
