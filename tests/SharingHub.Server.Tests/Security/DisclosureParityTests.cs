using System.Net;
using System.Net.Http.Json;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>One disclosure per record kind: FHIR shows an information request's fields exactly where OData does (issue 18, item 6).</summary>
public abstract class DisclosureParityTests(DatabaseEngine engine) : HubTest(engine)
{

    [Theory]
    [InlineData("demo-health-practitioner")]
    [InlineData("demo-police-officer")]
    [InlineData("demo-la-lcpp")]
    public async Task Given_an_information_request_then_fhir_and_odata_disclose_the_same_fields(string user)
    {
        var c = await Hub.CaseAsync();
        using var asked = await Hub.SendAsync(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/information-requests", "demo-la-lcpp",
            content: JsonContent.Create(new { agency = "health", question = "GP contacts for the household?" }));
        var id = (await FhirTestHub.JsonAsync(asked)).GetProperty("id").GetGuid();

        using var fhir = await Hub.GetAsync($"/fhir/Task?_id={id}", user, "s47-enquiry", c.Enquiry.Id);
        using var odata = await Hub.GetAsync($"/odata/InformationRequests({id})", user, "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.OK, fhir.StatusCode);
        var bundle = await FhirTestHub.JsonAsync(fhir);
        var task = bundle.TryGetProperty("entry", out var entries) ? entries[0].GetProperty("resource") : (System.Text.Json.JsonElement?)null;
        if (odata.StatusCode == HttpStatusCode.NotFound)
        {
            Assert.Null(task);
            return;
        }
        var entity = await FhirTestHub.JsonAsync(odata);
        Assert.NotNull(task);
        var pairs = new (string OData, string Fhir)[] { ("question", "description"), ("requestedAgency", "owner"), ("dueAt", "restriction"), ("requestedAt", "authoredOn"), ("enquiryId", "extension") };
        foreach (var (odataName, fhirName) in pairs)
        {
            Assert.True(entity.TryGetProperty(odataName, out _) == task.Value.TryGetProperty(fhirName, out _), $"{user}: OData {odataName} vs FHIR {fhirName}");
        }
    }
}

public sealed class SqliteDisclosureParityTests() : DisclosureParityTests(DatabaseEngine.Sqlite);

public sealed class PostgresDisclosureParityTests() : DisclosureParityTests(DatabaseEngine.Postgres);
