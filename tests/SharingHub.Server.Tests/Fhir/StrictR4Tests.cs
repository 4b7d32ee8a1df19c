using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>A partner's malformed R4 is refused by the Firely SDK's strict parser with its own issue codes, before the hub maps anything (issue 19).</summary>
public abstract class StrictR4Tests(DatabaseEngine engine) : HubTest(engine)
{
    [Fact]
    public async Task Given_malformed_r4_then_each_fault_is_refused_with_the_sdks_issue_code_and_element_and_nothing_is_stored()
    {
        await using var db = Hub.Contexts.Create();
        var before = await db.People.CountAsync();
        const string body = """
            {"resourceType":"Patient","gender":"blue","birthDate":"2020-13-45","name":[{"family":"Strict","given":["Ada"]}],
             "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"favouriteColour":"red"}
            """;

        using var response = await Hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-health-practitioner",
            content: new StringContent(body, Encoding.UTF8, "application/fhir+json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var issues = (await FhirTestHub.JsonAsync(response)).GetProperty("issue").EnumerateArray()
            .Select(i => (Code: i.GetProperty("details").GetProperty("coding")[0].GetProperty("code").GetString(), Where: i.GetProperty("expression")[0].GetString()))
            .ToList();
        Assert.Contains(("PVAL116", "Patient.gender"), issues);
        Assert.Contains(("PVAL124", "Patient.birthDate"), issues);
        Assert.Contains(("PVAL128", "Patient.favouriteColour"), issues);
        Assert.Equal(before, await db.People.CountAsync());
    }

    [Fact]
    public async Task Given_a_transaction_with_one_malformed_entry_then_the_whole_bundle_is_refused_naming_the_entry()
    {
        const string bundle = """
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:6b0f6c2a-7a5e-4f7e-9a43-0b6f1d6b9b11","resource":{"resourceType":"Patient","name":[{"family":"Strict"}],"birthDate":"2019-02-03"},
               "request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Observation","status":"finished","code":{"text":"x"}},"request":{"method":"POST","url":"Observation"}}]}
            """;

        using var response = await Hub.SendAsync(HttpMethod.Post, "/fhir", "demo-health-practitioner",
            content: new StringContent(bundle, Encoding.UTF8, "application/fhir+json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("PVAL116", text, StringComparison.Ordinal);
        Assert.Contains("Bundle.entry[1].resource", text, StringComparison.Ordinal);
    }
}

public sealed class SqliteStrictR4Tests() : StrictR4Tests(DatabaseEngine.Sqlite);

public sealed class PostgresStrictR4Tests() : StrictR4Tests(DatabaseEngine.Postgres);
