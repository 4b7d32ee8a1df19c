using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>An enquiry purpose names its enquiry, on reads and writes and on every API; without one it is the caller's error, not a missing record.</summary>
public abstract class PurposeBindingTests(DatabaseEngine engine) : HubTest(engine)
{

    private const string NewPatient = """{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"name":[{"family":"Bound","given":["Ava"]}],"gender":"female","birthDate":"2017-02-03"}""";

    [Fact]
    public async Task Given_an_enquiry_purpose_without_an_enquiry_then_reads_and_writes_on_fhir_and_odata_answer_400_naming_the_header_and_nothing_is_stored()
    {
        var c = await Hub.CaseAsync();
        using var fhirRead = await Hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry");
        using var odataRead = await Hub.GetAsync("/odata/Events", "demo-la-lcpp", "s47-enquiry");
        using var fhirWrite = await Hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-health-practitioner", "s47-enquiry",
            content: new StringContent(NewPatient, Encoding.UTF8, "application/fhir+json"));
        using var odataWrite = await Hub.SendAsync(HttpMethod.Post, "/odata/People", "demo-health-practitioner", "strategy-meeting",
            content: new StringContent("""{"kind":"child","givenName":"Ava","familyName":"Bound","birthDate":"2017-02-03"}""", Encoding.UTF8, "application/json"));
        using var workflowRead = await Hub.GetAsync($"/enquiries/{c.Enquiry.Id}", "demo-la-lcpp", "s47-enquiry");
        using var brokered = await Hub.SendAsync(HttpMethod.Post, "/mais/person-info-query", "demo-la-lcpp", "s47-enquiry",
            content: new StringContent("""{"resourceType":"Parameters"}""", Encoding.UTF8, "application/fhir+json"));

        // Workflow and brokered endpoints answer the same refusal, in problem JSON with its code.
        foreach (var response in new[] { workflowRead, brokered })
        {
            Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (response.StatusCode, response.Content.Headers.ContentType?.MediaType));
            var problem = await FhirTestHub.JsonAsync(response);
            Assert.Equal("enquiry_required", problem.GetProperty("code").GetString());
            Assert.Contains("X-Enquiry-Id", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        foreach (var response in new[] { fhirRead, odataRead, fhirWrite, odataWrite })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("X-Enquiry-Id", body, StringComparison.Ordinal);
            Assert.Contains(response == odataRead || response == odataWrite ? "EnquiryRequired" : "enquiry_required", body, StringComparison.Ordinal);
        }
        Assert.Equal("OperationOutcome", (await FhirTestHub.JsonAsync(fhirWrite)).GetProperty("resourceType").GetString());
        Assert.True((await FhirTestHub.JsonAsync(odataWrite)).TryGetProperty("error", out _));
        await using var db = Hub.Contexts.Create();
        Assert.False(await db.People.AnyAsync(p => p.OwningAgency == "health" && p.Id != c.HealthChild.Id));
    }

    [Fact]
    public async Task Given_a_write_that_names_its_purpose_and_enquiry_then_the_audit_entry_records_them()
    {
        var c = await Hub.CaseAsync();
        using var write = await Hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-police-officer", "s47-enquiry", c.Enquiry.Id,
            content: new StringContent(NewPatient.Replace("https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"9990000034", "urn:sharinghub:id:pnc\",\"value\":\"2019/0000001" + Core.People.AgencyIdentifiers.PncCheckLetter("19", "0000001"), StringComparison.Ordinal), Encoding.UTF8, "application/fhir+json"));

        Assert.Equal(HttpStatusCode.Created, write.StatusCode);
        await using var db = Hub.Contexts.Create();
        var entry = await db.AuditEntries.AsNoTracking().OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.Equal(("fhir.create", "s47-enquiry", (Guid?)c.Enquiry.Id), (entry.Action, entry.Purpose, entry.EnquiryId));
    }
}

public sealed class SqlitePurposeBindingTests() : PurposeBindingTests(DatabaseEngine.Sqlite);

public sealed class PostgresPurposeBindingTests() : PurposeBindingTests(DatabaseEngine.Postgres);
