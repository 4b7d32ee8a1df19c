using System.Net;
using System.Text.Json;
using SharingHub.Core.Agencies;
using SharingHub.Core.Records;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Demo;

/// <summary>
/// The demo shows what the policy does (issue 17): in the first family's open enquiry, members of different
/// agencies see different entries and fields, a refuge address reaches only the LCPP, police intelligence is
/// withheld from other members, a consent refusal is recorded and the mother's health record is erased.
/// </summary>
public abstract class DemoShowcaseTests(DatabaseEngine engine) : IAsyncLifetime
{
    private static readonly DemoOptions Options = new() { Families = 2 };
    private readonly DemoFamily _family = new DemoGenerator(Options).GenerateFamily(0);
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine, new Dictionary<string, string?>
    {
        ["SharingHub:Demo:Enabled"] = "true", ["SharingHub:Demo:Families"] = Options.Families.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private Guid Enquiry => _family.Enquiries.Single().Id;

    private Guid Mother(string agency) => _family.People.Single(p => p.Agency == agency && p.IndividualKey.EndsWith("-mother", StringComparison.Ordinal)).Id;

    private async Task<JsonElement> ReadAsync(string path, string user)
    {
        using var response = await _hub.GetAsync(path, user, "s47-enquiry", Enquiry);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await FhirTestHub.JsonAsync(response);
    }

    private static IEnumerable<JsonElement> Entries(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("resource")) : [];

    private static bool Tagged(JsonElement resource, string code) =>
        resource.GetProperty("meta").GetProperty("tag").EnumerateArray().Any(t => t.GetProperty("code").GetString() == code);

    [Fact]
    public async Task Given_the_first_demo_enquiry_then_only_the_lcpp_reads_the_refuge_address_of_the_mother()
    {
        var lcpp = await ReadAsync($"/fhir/Patient/{Mother(AgencyCodes.LocalAuthority)}", "demo-la-lcpp");
        var education = await ReadAsync($"/fhir/Patient/{Mother(AgencyCodes.LocalAuthority)}", "demo-education-lead");

        Assert.Equal(_family.Households.Single().Address, lcpp.GetProperty("address")[0].GetProperty("text").GetString());
        Assert.False(education.TryGetProperty("address", out _));
        Assert.Contains(education.GetProperty("meta").GetProperty("security").EnumerateArray(), s => s.GetProperty("code").GetString() == "REDACTED");
    }

    [Fact]
    public async Task Given_the_mothers_chronology_then_police_intelligence_is_a_summary_for_the_lcpp_in_full_for_police_and_absent_for_education_and_health()
    {
        var path = $"/fhir/Patient/{Mother(AgencyCodes.LocalAuthority)}/$chronology";
        var intelligence = _family.Events.Where(e => e.DataClass == "police.intelligence").Select(e => e.Id.ToString()).ToHashSet();
        Assert.NotEmpty(intelligence);

        var seen = new Dictionary<string, List<JsonElement>>();
        foreach (var user in new[] { "demo-la-lcpp", "demo-police-officer", "demo-education-lead", "demo-health-practitioner" })
        {
            seen[user] = Entries(await ReadAsync(path, user)).Where(r => intelligence.Contains(r.GetProperty("id").GetString()!)).ToList();
        }

        Assert.Equal(intelligence.Count, seen["demo-la-lcpp"].Count);
        Assert.All(seen["demo-la-lcpp"], r => Assert.False(r.TryGetProperty("note", out _)));
        Assert.All(seen["demo-police-officer"], r => Assert.True(r.TryGetProperty("note", out _)));
        Assert.Equal(intelligence.Count, seen["demo-police-officer"].Count);
        Assert.Empty(seen["demo-education-lead"]);
        Assert.Empty(seen["demo-health-practitioner"]);
    }

    [Fact]
    public async Task Given_the_mothers_health_record_was_erased_then_her_health_entries_stay_in_her_chronology_marked_and_the_erasure_is_audited()
    {
        var erased = Mother(AgencyCodes.Health);
        Assert.Equal(erased, Assert.Single(_family.Erasures).PersonId);
        var healthEvents = _family.Events.Where(e => e.SubjectIds.Contains(erased)).Select(e => e.Id.ToString()).ToHashSet();
        Assert.NotEmpty(healthEvents);

        var chronology = Entries(await ReadAsync($"/fhir/Patient/{Mother(AgencyCodes.LocalAuthority)}/$chronology", "demo-health-practitioner")).ToList();
        var record = await ReadAsync($"/fhir/Patient/{erased}", "demo-health-practitioner");

        var shown = chronology.Where(r => healthEvents.Contains(r.GetProperty("id").GetString()!)).ToList();
        Assert.Equal(healthEvents.Count, shown.Count);
        Assert.All(shown, r => Assert.True(Tagged(r, "erased-record")));
        Assert.DoesNotContain(chronology.Where(r => !healthEvents.Contains(r.GetProperty("id").GetString()!)), r => Tagged(r, "erased-record"));
        var person = _family.People.Single(p => p.Id == erased);
        Assert.DoesNotContain(person.FamilyName, record.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(person.GivenName, record.ToString(), StringComparison.Ordinal);
        Assert.True(Tagged(record, "unavailable"));
        using var audit = await _hub.GetAsync("/audit/entries?user=demo-loader", "demo-health-ig", "audit-review");
        var entry = Assert.Single((await FhirTestHub.JsonAsync(audit)).GetProperty("entries").EnumerateArray());
        Assert.Equal("keys.shred-subject", entry.GetProperty("action").GetString());
        Assert.Equal(erased, entry.GetProperty("subjects")[0].GetGuid());
    }

    [Fact]
    public async Task Given_the_first_demo_family_then_a_consent_refusal_is_recorded_for_one_of_its_children()
    {
        var refusal = _family.Consents.First(c => c.Decision == ConsentDecision.Deny && c.Status == ConsentStatus.Active);

        using var response = await _hub.GetAsync($"/fhir/Consent?patient={refusal.SubjectPersonId}", "demo-la-lcpp", "family-help");
        var consents = Entries(await FhirTestHub.JsonAsync(response)).ToList();

        Assert.Contains(consents, c => c.GetProperty("id").GetString() == refusal.Id.ToString() && c.GetProperty("provision").GetProperty("type").GetString() == "deny");
    }
}

public sealed class SqliteDemoShowcaseTests() : DemoShowcaseTests(DatabaseEngine.Sqlite);

public sealed class PostgresDemoShowcaseTests() : DemoShowcaseTests(DatabaseEngine.Postgres);
