using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>An address its owner marks protected (a refuge) never reaches a reader the policy does not name, in any version (issue 18, high).</summary>
public abstract class RefugeAddressTests(DatabaseEngine engine) : HubTest(engine)
{
    private const string Refuge = "Flat 2, Safe House, Testtown TE1 1ST";

    private static StringContent Patient(string nhs, string? address, bool confidential, string? id = null) => new(JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["resourceType"] = "Patient",
        ["id"] = id,
        ["identifier"] = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = nhs } },
        ["name"] = new[] { new { family = "Sheltered", given = new[] { "Ava" } } },
        ["gender"] = "female",
        ["birthDate"] = "2018-04-05",
        ["address"] = address is null ? null : new[]
        {
            new Dictionary<string, object?>
            {
                ["text"] = address,
                ["extension"] = confidential ? new[] { new { url = "urn:sharinghub:fhir:confidential-address", valueBoolean = true } } : null,
            }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value),
        },
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value)), Encoding.UTF8, "application/fhir+json");

    private async Task<string> CreateAsync(string nhs, string address, bool confidential)
    {
        using var created = await Hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-health-practitioner", content: Patient(nhs, address, confidential));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return created.Headers.Location!.ToString().Split('/')[^3];
    }

    /// <summary>A read for a referral about the person (front-door-triage is bound to its case), by the front door unless another user is named.</summary>
    private async Task<string> ReadAsync(string path, string about, string user = "demo-la-front-door")
    {
        var referral = await Hub.ReferralAsync(Guid.Parse(about), "health");
        using var response = await Hub.TriageAsync(path, user, referral.Id);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Given_health_marks_a_refuge_address_then_the_front_door_reads_the_person_without_it_on_fhir_and_odata_while_an_ordinary_address_shows()
    {
        var sheltered = await CreateAsync("9990000034", Refuge, confidential: true);
        var ordinary = await CreateAsync("9434765919", "3 Open Road, Testtown TE2 2ND", confidential: false);

        Assert.Contains("3 Open Road", await ReadAsync($"/fhir/Patient/{ordinary}", ordinary), StringComparison.Ordinal);
        foreach (var path in new[] { $"/fhir/Patient/{sheltered}", $"/odata/People({sheltered})", "/fhir/Patient?family=Sheltered&birthdate=2018-04-05" })
        {
            var body = await ReadAsync(path, sheltered);
            Assert.DoesNotContain("Safe House", body, StringComparison.Ordinal);
            Assert.DoesNotContain("TE1", body, StringComparison.Ordinal);
            Assert.DoesNotContain("confidential-address", body, StringComparison.Ordinal);
        }
        var own = await ReadAsync($"/fhir/Patient/{sheltered}", sheltered, "demo-health-practitioner");
        Assert.Contains("Safe House", own, StringComparison.Ordinal);
        Assert.Contains("urn:sharinghub:fhir:confidential-address", own, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_mark_and_address_are_later_removed_then_no_version_in_history_shows_the_refuge_address()
    {
        var sheltered = await CreateAsync("9990000034", Refuge, confidential: true);
        using (var moved = await Hub.SendAsync(HttpMethod.Put, $"/fhir/Patient/{sheltered}", "demo-health-practitioner",
            content: Patient("9990000034", null, confidential: false, id: sheltered), change: r => r.Headers.IfMatch.Add(EntityTagHeaderValue.Parse("W/\"1\""))))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        foreach (var path in new[] { $"/fhir/Patient/{sheltered}/_history/1", $"/fhir/Patient/{sheltered}/_history" })
        {
            Assert.DoesNotContain("Safe House", await ReadAsync(path, sheltered), StringComparison.Ordinal);
        }
        Assert.Contains("Safe House", await ReadAsync($"/fhir/Patient/{sheltered}/_history/1", sheltered, "demo-health-practitioner"), StringComparison.Ordinal);
    }
}

public sealed class SqliteRefugeAddressTests() : RefugeAddressTests(DatabaseEngine.Sqlite);

public sealed class PostgresRefugeAddressTests() : RefugeAddressTests(DatabaseEngine.Postgres);
