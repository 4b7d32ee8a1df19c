using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>
/// A writer must not choose whose records it sees: an identifier put on a writer's own record of an
/// enquiry subject must not link an unrelated child into the enquiry (issue 18, critical).
/// </summary>
public abstract class LinkageAttackTests(DatabaseEngine engine) : HubTest(engine)
{
    private const string StrangerNhs = "9990000018";

    private static readonly string SubjectPnc = "2019/0012345" + AgencyIdentifiers.PncCheckLetter("19", "0012345");

    private static StringContent Patient(string? id, params (string System, string Value)[] identifiers) => new(JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["resourceType"] = "Patient",
        ["id"] = id,
        ["identifier"] = identifiers.Select(i => new { system = i.System, value = i.Value }),
        ["name"] = new[] { new { family = "Fhirtest", given = new[] { "Mia" } } },
        ["gender"] = "female",
        ["birthDate"] = "2016-05-14",
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value)), Encoding.UTF8, "application/fhir+json");

    /// <summary>A child in no enquiry, known to health alone, with a mental-health event.</summary>
    private async Task<ChronologyEvent> StrangerAsync(string nhs = StrangerNhs)
    {
        var stranger = await Hub.Store.AddAsync(Hub.Builder.Person("health", "Other", "Strangerly", "2012-03-04", IdentifierKind.NhsNumber, nhs), CancellationToken.None);
        return await Hub.Store.AddAsync(Hub.Builder.Event(stranger, "health", "CAMHS assessment of another child", new DateTimeOffset(2026, 9, 5, 10, 0, 0, TimeSpan.Zero),
            "SYS1-" + Guid.NewGuid().ToString("N")[..8], "health.clinical", "Detail about another child", "camhs-referral"), CancellationToken.None);
    }

    private async Task<string> ChronologyAsync(CaseRecords c, string user)
    {
        using var response = await Hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", user, "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Given_a_police_member_puts_a_strangers_nhs_number_on_the_police_record_of_the_subject_then_nobody_in_the_enquiry_sees_the_stranger()
    {
        var c = await Hub.CaseAsync();
        var foreign = await StrangerAsync();
        Assert.Contains(c.HealthContact.Id.ToString(), await ChronologyAsync(c, "demo-la-lcpp"), StringComparison.Ordinal);

        using var put = await Hub.SendAsync(HttpMethod.Put, $"/fhir/Patient/{c.PoliceChild.Id}", "demo-police-officer",
            content: Patient(c.PoliceChild.Id.ToString(), ("urn:sharinghub:id:pnc", SubjectPnc), ("https://fhir.nhs.uk/Id/nhs-number", StrangerNhs)),
            change: r => r.Headers.IfMatch.Add(EntityTagHeaderValue.Parse("W/\"1\"")));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        foreach (var user in new[] { "demo-police-officer", "demo-la-lcpp" })
        {
            var chronology = await ChronologyAsync(c, user);
            Assert.DoesNotContain(foreign.Id.ToString(), chronology, StringComparison.Ordinal);
            Assert.DoesNotContain("another child", chronology, StringComparison.Ordinal);
            using var direct = await Hub.GetAsync($"/fhir/Observation/{foreign.Id}", user, "s47-enquiry", c.Enquiry.Id);
            Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
        }
        // The child's own health record is still linked: the police claim changed nothing about the true links.
        Assert.Contains(c.HealthContact.Id.ToString(), await ChronologyAsync(c, "demo-la-lcpp"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_new_police_patient_with_the_subjects_pnc_and_many_nhs_numbers_then_no_other_child_is_opened()
    {
        var c = await Hub.CaseAsync();
        var numbers = new List<string>();
        var foreign = new List<ChronologyEvent>();
        for (var n = 1; numbers.Count < 5; n++)
        {
            var candidate = "99900001" + n.ToString("00", System.Globalization.CultureInfo.InvariantCulture);
            if (AgencyIdentifiers.IsValidNhsNumber(candidate))
            {
                numbers.Add(candidate);
                foreign.Add(await StrangerAsync(candidate));
            }
        }

        using var post = await Hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-police-officer",
            content: Patient(null, [("urn:sharinghub:id:pnc", SubjectPnc), .. numbers.Select(n => ("https://fhir.nhs.uk/Id/nhs-number", n))]));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);

        var chronology = await ChronologyAsync(c, "demo-police-officer");
        Assert.All(foreign, f => Assert.DoesNotContain(f.Id.ToString(), chronology, StringComparison.Ordinal));
        Assert.Contains(c.PoliceIncident.Id.ToString(), chronology, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_council_records_the_health_nhs_number_of_the_same_child_then_the_records_link_on_it_with_the_birth_date()
    {
        var ct = CancellationToken.None;
        var la = await Hub.Store.AddAsync(Hub.Builder.Person("la", "Lily", "Barrows", "2014-02-02", IdentifierKind.NhsNumber, StrangerNhs), ct);
        var health = await Hub.Store.AddAsync(Hub.Builder.Person("health", "Lily", "Barros", "2014-02-02", IdentifierKind.NhsNumber, StrangerNhs), ct);
        var unrelated = await Hub.Store.AddAsync(Hub.Builder.Person("health", "Lily", "Barros", "2013-02-02", IdentifierKind.NhsNumber, "9434765919"), ct);

        var linked = await Hub.Services.GetRequiredService<Data.Linkage.PersonLinker>().LinkAsync([la.Id], ct);

        Assert.Equal(LinkBasis.Probabilistic, Assert.Single(linked.Links).Basis);
        Assert.Contains(health.Id, linked.Of(la.Id));
        Assert.DoesNotContain(unrelated.Id, linked.Of(la.Id));
    }
}

public sealed class SqliteLinkageAttackTests() : LinkageAttackTests(DatabaseEngine.Sqlite);

public sealed class PostgresLinkageAttackTests() : LinkageAttackTests(DatabaseEngine.Postgres);
