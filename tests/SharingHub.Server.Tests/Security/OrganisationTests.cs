using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>
/// Each school, trust and practice is its own controller (issue 21). A child moved from Riverside Academy to Hillside
/// Primary: each school holds its own record of them. Hillside's DSL reads what Hillside recorded, not what Riverside
/// recorded, unless a rule and a purpose permit it (as a member of the child's enquiry); each school's IG officer sees
/// only its own trail; only the organisation that wrote a record may change it.
/// </summary>
public abstract class OrganisationTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const string Hillside = "school-hillside";
    private const string Riverside = "school-riverside";
    private const string HillsideDsl = "demo-education-dsl";
    private const string RiversideDsl = "demo-riverside-dsl";
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private sealed record MovedChild(Person AtHillside, Person AtRiverside, ChronologyEvent HillsideNote, ChronologyEvent RiversideNote);

    /// <summary>The same child (one UPN) on each school's roll in turn, with a welfare concern each school recorded.</summary>
    private async Task<MovedChild> MovedChildAsync()
    {
        const string digits = "900123456789";
        var upn = AgencyIdentifiers.UpnCheckLetter(digits) + digits;
        var at = new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);
        async Task<(Person, ChronologyEvent)> Held(string organisation, string summary, DateTimeOffset when)
        {
            var person = _hub.Builder.Person("education", "Lena", "Schoolmove", "2015-09-09", IdentifierKind.Upn, upn);
            person.OwningOrganisation = organisation;
            person = await _hub.Store.AddAsync(person, CancellationToken.None);
            var note = _hub.Builder.Event(person, "education", summary, when, $"{organisation}-{Guid.NewGuid():N}", "education.welfare",
                "Recorded by the designated safeguarding lead", "safeguarding-concern");
            note.OwningOrganisation = organisation;
            return (person, await _hub.Store.AddAsync(note, CancellationToken.None));
        }
        var (riverside, riversideNote) = await Held(Riverside, "Riverside: bruise on arm explained by sibling", at.AddMonths(-9));
        var (hillside, hillsideNote) = await Held(Hillside, "Hillside: child hungry at breakfast club", at);
        return new MovedChild(hillside, riverside, hillsideNote, riversideNote);
    }

    private async Task<Enquiry> EnquiryWithHillsideDslAsync(Person subject)
    {
        var at = new DateTimeOffset(2026, 6, 2, 9, 0, 0, TimeSpan.Zero);
        return await _hub.Store.AddAsync(new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "enquiry", Reference = "S47-ORG-" + Guid.NewGuid().ToString("N")[..6], Status = EnquiryStatus.Open,
            OpenedAt = at, LeadPractitioner = "demo-la-lcpp",
            Members =
            [
                new() { Id = Guid.NewGuid(), Agency = "la", UserSubject = "demo-la-lcpp", Role = "lcpp", AddedAt = at },
                new() { Id = Guid.NewGuid(), Agency = "education", UserSubject = HillsideDsl, Role = "education", AddedAt = at },
            ],
        }.WithSubject(subject.Id), CancellationToken.None);
    }

    private static IEnumerable<string> EntryIds(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!) : [];

    [Fact]
    public async Task Given_a_child_who_moved_school_then_each_dsl_reads_only_their_own_schools_records_for_family_help()
    {
        var child = await MovedChildAsync();

        using var own = await _hub.GetAsync($"/fhir/Observation/{child.HillsideNote.Id}", HillsideDsl, "family-help");
        using var other = await _hub.GetAsync($"/fhir/Observation/{child.RiversideNote.Id}", HillsideDsl, "family-help");
        using var chronology = await _hub.GetAsync($"/fhir/Patient/{child.AtHillside.Id}/$chronology", HillsideDsl, "family-help");
        using var riversideOwn = await _hub.GetAsync($"/fhir/Observation/{child.RiversideNote.Id}", RiversideDsl, "family-help");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("breakfast club", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // A record the rules refuse is not there to the reader; the audit says whose it was and that it was refused.
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.DoesNotContain("bruise", await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using (var db = _hub.Contexts.Create())
        {
            var requestId = other.Headers.GetValues("X-Request-Id").Single();
            var entry = db.AuditEntries.Single(a => a.RequestId == requestId);
            Assert.Equal(("deny", Hillside), (entry.Decision, entry.Organisation));
            Assert.Contains($"|{Riverside}|", entry.Owners, StringComparison.Ordinal);
            Assert.Contains("school-riverside (education)", entry.Body, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, chronology.StatusCode);
        var ids = EntryIds(await FhirTestHub.JsonAsync(chronology)).ToHashSet();
        Assert.Contains(child.HillsideNote.Id.ToString(), ids);
        Assert.DoesNotContain(child.RiversideNote.Id.ToString(), ids);
        Assert.Equal(HttpStatusCode.OK, riversideOwn.StatusCode);
    }

    [Fact]
    public async Task Given_the_hillside_dsl_is_a_member_of_the_childs_enquiry_then_the_members_rule_shares_what_riverside_recorded()
    {
        var child = await MovedChildAsync();
        var enquiry = await EnquiryWithHillsideDslAsync(child.AtHillside);

        using var chronology = await _hub.GetAsync($"/fhir/Patient/{child.AtHillside.Id}/$chronology", HillsideDsl, "s47-enquiry", enquiry.Id);
        using var outsider = await _hub.GetAsync($"/fhir/Patient/{child.AtHillside.Id}/$chronology", RiversideDsl, "s47-enquiry", enquiry.Id);

        Assert.Equal(HttpStatusCode.OK, chronology.StatusCode);
        var body = await FhirTestHub.JsonAsync(chronology);
        Assert.Contains(child.RiversideNote.Id.ToString(), EntryIds(body));
        Assert.Contains("bruise", body.ToString(), StringComparison.Ordinal);
        // Riverside's DSL is not a member: the enquiry's purpose opens nothing for them.
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.DoesNotContain("breakfast", await outsider.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_patient_written_by_one_school_then_it_is_stamped_with_that_school_and_only_that_school_may_change_it()
    {
        static StringContent Patient(string family, string? id = null) => new(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["resourceType"] = "Patient", ["id"] = id,
            ["identifier"] = new[] { new { system = "urn:sharinghub:id:upn", value = AgencyIdentifiers.UpnCheckLetter("900987654321") + "900987654321" } },
            ["name"] = new[] { new { family, given = new[] { "Ola" } } }, ["gender"] = "female", ["birthDate"] = "2016-01-02",
        }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value)), Encoding.UTF8, "application/fhir+json");

        using var created = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", HillsideDsl, content: Patient("Stamped"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Guid.Parse(created.Headers.Location!.ToString().Split('/')[^3]);
        using var foreign = await _hub.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", RiversideDsl, content: Patient("Overwritten", id.ToString()),
            change: r => r.Headers.IfMatch.Add(EntityTagHeaderValue.Parse("W/\"1\"")));
        using var owner = await _hub.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", HillsideDsl, content: Patient("Restamped", id.ToString()),
            change: r => r.Headers.IfMatch.Add(EntityTagHeaderValue.Parse("W/\"1\"")));

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        var stored = await _hub.Store.FindAsync<Person>(id, CancellationToken.None);
        Assert.Equal(("education", Hillside, 2L), (stored!.OwningAgency, stored.OwningOrganisation, stored.Version));
        using var read = await _hub.GetAsync($"/fhir/Patient/{id}", HillsideDsl, "family-help");
        var patient = await FhirTestHub.JsonAsync(read);
        Assert.Contains(patient.GetProperty("meta").GetProperty("tag").EnumerateArray(),
            t => t.GetProperty("system").GetString() == "urn:sharinghub:organisation" && t.GetProperty("code").GetString() == Hillside);
        Assert.Equal("Restamped", patient.GetProperty("name")[0].GetProperty("family").GetString());
    }

    [Fact]
    public async Task Given_each_school_reads_its_records_then_each_schools_ig_officer_sees_only_its_own_schools_trail()
    {
        var child = await MovedChildAsync();
        (await _hub.GetAsync($"/fhir/Observation/{child.HillsideNote.Id}", HillsideDsl, "family-help")).Dispose();
        (await _hub.GetAsync($"/fhir/Observation/{child.RiversideNote.Id}", RiversideDsl, "family-help")).Dispose();

        using var hillsideIg = await _hub.GetAsync("/audit/entries?limit=500", "demo-hillside-ig", "audit-review");
        Assert.Equal(HttpStatusCode.OK, hillsideIg.StatusCode);
        var entries = (await FhirTestHub.JsonAsync(hillsideIg)).GetProperty("entries").EnumerateArray().ToList();
        Assert.Contains(entries, e => e.GetProperty("user").GetString() == HillsideDsl && e.GetProperty("action").GetString() == "fhir.read");
        Assert.DoesNotContain(entries, e => e.GetProperty("user").GetString() == RiversideDsl);
        Assert.All(entries, e => Assert.True(e.GetProperty("organisation").GetString() == Hillside
            || e.GetProperty("owners").EnumerateArray().Any(o => o.GetString() == Hillside), e.ToString()));
    }
}

public sealed class SqliteOrganisationTests() : OrganisationTests(DatabaseEngine.Sqlite);

public sealed class PostgresOrganisationTests() : OrganisationTests(DatabaseEngine.Postgres);
