using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Linkage;

/// <summary>
/// Probabilistic linkage as practitioners and the data team meet it (issue 22): records are linked when written, on
/// evidence; a near miss waits for a person, and the chronology says it may be incomplete; a person's confirmation,
/// rejection or unlinking beats the score, each audited with who and why.
/// </summary>
public abstract class LinkageReviewTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const string DataTeam = "demo-la-data-team";
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private async Task<(Person Person, ChronologyEvent Event)> RecordAsync(string agency, string given, string family, string birth, IdentifierKind? kind,
        string identifier, string summary, string? address = null)
    {
        var person = await _hub.Store.AddAsync(_hub.Builder.Person(agency, given, family, birth, kind, identifier, address), CancellationToken.None);
        var ev = await _hub.Store.AddAsync(_hub.Builder.Event(person, agency, summary, new DateTimeOffset(2026, 8, 1, 10, 0, 0, TimeSpan.Zero),
            $"{agency}-{Guid.NewGuid():N}", agency switch { "health" => "health.clinical", "police" => "police.incident", _ => "la.social-care" }, "Detail", "contact"),
            CancellationToken.None);
        return (person, ev);
    }

    private async Task<Enquiry> EnquiryAsync(Person child)
    {
        var at = new DateTimeOffset(2026, 8, 2, 9, 0, 0, TimeSpan.Zero);
        return await _hub.Store.AddAsync(new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "enquiry", Reference = "S47-LNK-" + Guid.NewGuid().ToString("N")[..6], Status = EnquiryStatus.Open,
            OpenedAt = at, LeadPractitioner = "demo-la-lcpp",
            Members = [new() { Id = Guid.NewGuid(), Agency = "la", UserSubject = "demo-la-lcpp", Role = "lcpp", AddedAt = at }],
        }.WithSubject(child.Id), CancellationToken.None);
    }

    private async Task<JsonElement> ChronologyAsync(Person child, Enquiry enquiry)
    {
        using var response = await _hub.GetAsync($"/fhir/Patient/{child.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", enquiry.Id);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await FhirTestHub.JsonAsync(response);
    }

    private static List<JsonElement> Entries(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("resource")).ToList() : [];

    /// <summary>The ids of the bundle's records (an outcome entry carries none).</summary>
    private static HashSet<string> Ids(JsonElement bundle) =>
        Entries(bundle).Where(r => r.TryGetProperty("id", out _)).Select(r => r.GetProperty("id").GetString()!).ToHashSet();

    private static bool SaysIncomplete(JsonElement bundle) =>
        Entries(bundle).Any(r => r.GetProperty("resourceType").GetString() == "OperationOutcome"
            && r.GetProperty("issue")[0].GetProperty("code").GetString() == "incomplete");

    private async Task<HttpResponseMessage> DecideAsync(Guid pair, string decision, string? reason, string user = DataTeam) =>
        await _hub.SendAsync(HttpMethod.Post, $"/linkage/pairs/{pair}/{decision}", user, content: JsonContent.Create(new { reason }));

    [Fact]
    public async Task Given_barrows_recorded_as_barros_by_health_without_an_address_then_her_health_events_are_in_her_chronology()
    {
        var (council, _) = await RecordAsync("la", "Ella", "Barrows", "2017-03-14", IdentifierKind.LaPersonId, "5550001", "Home visit", "4 Mill Lane, Testtown TE1 4AB");
        var (_, health) = await RecordAsync("health", "Ella", "Barros", "2017-03-14", IdentifierKind.NhsNumber, "9990000026", "Missed immunisation");

        var bundle = await ChronologyAsync(council, await EnquiryAsync(council));

        Assert.Contains(health.Id.ToString(), Ids(bundle));
        await using var db = _hub.Contexts.Create();
        var pair = await db.PersonPairs.SingleAsync();
        Assert.Equal((PairOutcome.Link, PairState.Automatic), (pair.Outcome, pair.State));
        Assert.Contains("a letter apart", pair.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_another_child_with_the_same_family_name_and_birth_date_or_different_nhs_numbers_then_neither_is_linked()
    {
        var (mia, _) = await RecordAsync("la", "Mia", "Smith", "2016-05-14", IdentifierKind.LaPersonId, "5550002", "Home visit", "1 High Street, Testtown TE1 1AA");
        var (_, ruby) = await RecordAsync("health", "Ruby", "Smith", "2016-05-14", IdentifierKind.NhsNumber, "9990000034", "A&E attendance of another child", "1 High Street, Testtown TE1 1AA");
        var (healthMia, _) = await RecordAsync("health", "Mia", "Smith", "2016-05-14", IdentifierKind.NhsNumber, "9990000042", "Health record of Mia", "1 High Street, Testtown TE1 1AA");
        var (otherMia, other) = await RecordAsync("health", "Mia", "Smith", "2016-05-14", IdentifierKind.NhsNumber, "9990000050", "Another Mia, another NHS number", "1 High Street, Testtown TE1 1AA");

        var entries = Ids(await ChronologyAsync(mia, await EnquiryAsync(mia)));

        // Twins share a family name, a birth date and a home: a different given name is a different child.
        Assert.DoesNotContain(ruby.Id.ToString(), entries);
        // Two NHS numbers, each asserted by health, are two people, whatever else agrees.
        Assert.DoesNotContain(other.Id.ToString(), entries);
        await using var db = _hub.Contexts.Create();
        var (a, b) = PersonPair.Ordered(healthMia.Id, otherMia.Id);
        Assert.False(await db.PersonPairs.AnyAsync(p => p.PersonA == a && p.PersonB == b));
    }

    [Fact]
    public async Task Given_a_near_miss_then_it_waits_for_the_data_team_the_chronology_says_so_and_confirming_then_unlinking_is_audited_with_the_reason()
    {
        // Names agree, the birth dates only in year and month, and the homes differ: neither clearly one child nor two.
        var (council, _) = await RecordAsync("la", "Noah", "Reed", "2014-02-02", IdentifierKind.LaPersonId, "5550003", "Home visit", "4 Mill Lane, Testtown TE1 4AB");
        var (_, police) = await RecordAsync("police", "Noah", "Reed", "2014-02-09", null, "", "Noah reported missing overnight", "9 Low Road, Othertown OT9 9ZZ");
        var enquiry = await EnquiryAsync(council);

        var before = await ChronologyAsync(council, enquiry);
        using var list = await _hub.GetAsync("/linkage/reviews", DataTeam);
        using var lcppList = await _hub.GetAsync("/linkage/reviews", "demo-la-lcpp");

        Assert.True(SaysIncomplete(before));
        Assert.DoesNotContain(police.Id.ToString(), Ids(before));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var review = Assert.Single((await FhirTestHub.JsonAsync(list)).GetProperty("pairs").EnumerateArray());
        Assert.Equal("awaiting review", review.GetProperty("state").GetString());
        Assert.Contains(review.GetProperty("evidence").EnumerateArray(), e => e.GetProperty("level").GetString() == "same year and month");
        Assert.DoesNotContain("Reed", review.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, lcppList.StatusCode);
        var pair = Guid.Parse(review.GetProperty("id").GetString()!);

        using var noReason = await DecideAsync(pair, "confirm", null);
        using var confirmed = await DecideAsync(pair, "confirm", "Same school and GP; the police record has the date wrong");
        var after = await ChronologyAsync(council, enquiry);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Contains(police.Id.ToString(), Ids(after));
        Assert.False(SaysIncomplete(after));

        using var unlinked = await DecideAsync(pair, "unlink", "Checked with the force: a different Noah Reed");
        using var again = await DecideAsync(pair, "unlink", "Checked with the force: a different Noah Reed");
        var last = await ChronologyAsync(council, enquiry);

        Assert.Equal(HttpStatusCode.OK, unlinked.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.DoesNotContain(police.Id.ToString(), Ids(last));
        Assert.False(SaysIncomplete(last));
        await using var db = _hub.Contexts.Create();
        var audit = await db.AuditEntries.Where(a => a.Action == "linkage.confirm" || a.Action == "linkage.unlink").OrderBy(a => a.Sequence).ToListAsync();
        Assert.Equal(["linkage.confirm", "linkage.unlink"], audit.Where(a => a.Outcome == "success").Select(a => a.Action));
        Assert.All(audit.Where(a => a.Outcome == "success"), a => Assert.Equal(DataTeam, a.Actor));
        Assert.Contains($"|{council.Id:D}|", audit.Last(a => a.Outcome == "success").Subjects, StringComparison.Ordinal);
        Assert.Equal(PairState.Unlinked, (await db.PersonPairs.SingleAsync(p => p.Id == pair)).State);
        Assert.Equal("Checked with the force: a different Noah Reed", (await db.PersonPairs.SingleAsync(p => p.Id == pair)).Reason);
    }

    private static object Patient(string address, string? id = null, params string[] old) => new Dictionary<string, object?>
    {
        ["resourceType"] = "Patient",
        ["id"] = id,
        ["identifier"] = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = "9990000069" } },
        ["name"] = new[] { new { family = "Reed", given = new[] { "Noah" } } },
        ["gender"] = "female",   // as the other agencies' records (RecordBuilder's default)
        ["birthDate"] = "2014-02-09",
        ["address"] = new[] { new Dictionary<string, string> { ["text"] = address } }.Concat(old.Select(a => a.Length == 0
            ? new Dictionary<string, string> { ["use"] = "old", ["city"] = "Testtown" }
            : new Dictionary<string, string> { ["use"] = "old", ["text"] = a })),
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);

    private Task<HttpResponseMessage> WritePatientAsync(HttpMethod method, string path, object patient, string? ifMatch = null) =>
        _hub.SendAsync(method, path, "demo-health-practitioner", content: new StringContent(JsonSerializer.Serialize(patient), System.Text.Encoding.UTF8, "application/fhir+json"),
            change: r =>
            {
                if (ifMatch is not null)
                {
                    r.Headers.IfMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Parse(ifMatch));
                }
            });

    private async Task<PersonPair> PairAsync(Guid one, Guid other)
    {
        await using var db = _hub.Contexts.Create();
        var (a, b) = PersonPair.Ordered(one, other);
        return await db.PersonPairs.AsNoTracking().SingleAsync(p => p.PersonA == a && p.PersonB == b);
    }

    [Fact]
    public async Task Given_a_family_that_moved_then_a_record_at_the_old_address_meets_the_new_one_through_its_old_address_which_is_never_stored_or_shown()
    {
        // The same near miss as above (the birth dates agree only in year and month), but health knows the family's old address.
        var (council, _) = await RecordAsync("la", "Noah", "Reed", "2014-02-02", IdentifierKind.LaPersonId, "5550005", "Home visit", "4 Mill Lane, Testtown TE1 4AB");
        var (police, _) = await RecordAsync("police", "Noah", "Reed", "2014-02-09", null, "", "Noah reported missing overnight", "12 Quay Street, Testtown TE7 7QS");

        using var noText = await WritePatientAsync(HttpMethod.Post, "/fhir/Patient", Patient("9 Low Road, Othertown OT9 9ZZ", null, "4 Mill Lane, Testtown TE1 4AB", ""));
        using var created = await WritePatientAsync(HttpMethod.Post, "/fhir/Patient", Patient("9 Low Road, Othertown OT9 9ZZ", null, "4 Mill Lane, Testtown TE1 4AB"));
        // An old address with nothing to compare is refused, naming it, and nothing is stored.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noText.StatusCode);
        Assert.Equal("Patient.address[2].text", (await FhirTestHub.JsonAsync(noText)).GetProperty("issue")[0].GetProperty("expression")[0].GetString());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Guid.Parse(created.Headers.Location!.ToString().Split('/')[^3]);
        var withHistory = await PairAsync(id, council.Id);
        var stranger = await PairAsync(council.Id, police.Id);

        Assert.Contains("previous address", withHistory.Evidence, StringComparison.Ordinal);
        Assert.Equal(PairOutcome.Link, withHistory.Outcome);
        Assert.NotEqual(PairOutcome.Link, stranger.Outcome);
        using var read = await _hub.TriageAsync($"/fhir/Patient/{id}", "demo-health-practitioner", (await _hub.ReferralAsync(id, "health")).Id);
        var shown = Assert.Single((await FhirTestHub.JsonAsync(read)).GetProperty("address").EnumerateArray());
        Assert.Equal("9 Low Road, Othertown OT9 9ZZ", shown.GetProperty("text").GetString());
        await using (var db = _hub.Contexts.Create())
        {
            var stored = await db.People.AsNoTracking().SingleAsync(p => p.Id == id);
            Assert.Equal(32, stored.PreviousPostcodeIndexes!.Length);   // a keyed postcode index, no address
        }

        // The family moves again and health updates the address: the one it replaces becomes a previous one by itself.
        using var moved = await WritePatientAsync(HttpMethod.Put, $"/fhir/Patient/{id}", Patient("12 Quay Street, Testtown TE7 7QS", id.ToString()), "W/\"1\"");
        var rescored = await PairAsync(id, police.Id);
        var oldest = await PairAsync(id, council.Id);

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Contains("\"exact\"", rescored.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("previous address", oldest.Evidence, StringComparison.Ordinal);   // the update gave no old addresses: only the replaced one is kept
        // A school that still has the family at the address before: it meets health's record through the replaced one.
        var (school, _) = await RecordAsync("education", "Noah", "Reed", "2014-02-09", IdentifierKind.Upn, "A801200110002", "Absent for a week", "9 Low Road, Othertown OT9 9ZZ");
        Assert.Contains("previous address", (await PairAsync(id, school.Id)).Evidence, StringComparison.Ordinal);

        // Erasing the record takes its previous postcodes with its other encodings.
        await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<SharingHub.Data.Keys.SubjectShredding>(_hub.Services)
            .ShredAsync(id, CancellationToken.None);
        await using var check = _hub.Contexts.Create();
        var erased = await check.People.AsNoTracking().SingleAsync(p => p.Id == id);
        Assert.Equal((null, null, null), (erased.PreviousPostcodeIndexes, erased.PostcodeIndex, erased.FamilyVariantIndexes));
    }

    [Fact]
    public async Task Given_a_rejected_pair_then_rewriting_either_record_does_not_undo_the_decision()
    {
        var (council, _) = await RecordAsync("la", "Noah", "Reed", "2014-02-02", IdentifierKind.LaPersonId, "5550004", "Home visit", "4 Mill Lane, Testtown TE1 4AB");
        await RecordAsync("police", "Noah", "Reed", "2014-02-09", null, "", "Noah reported missing overnight", "9 Low Road, Othertown OT9 9ZZ");
        Guid pair;
        await using (var db = _hub.Contexts.Create())
        {
            pair = (await db.PersonPairs.SingleAsync()).Id;
        }

        using var rejected = await DecideAsync(pair, "reject", "Different children: the police record is of a cousin");
        var rewritten = await _hub.Store.UpdateAsync<Person>(council.Id, 1, p => p.Sex = "female", CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal(UpdateStatus.Updated, rewritten.Status);
        await using var check = _hub.Contexts.Create();
        var kept = await check.PersonPairs.SingleAsync();
        Assert.Equal((pair, PairState.Rejected), (kept.Id, kept.State));
        Assert.False(SaysIncomplete(await ChronologyAsync(council, await EnquiryAsync(council))));
    }
}

public sealed class SqliteLinkageReviewTests() : LinkageReviewTests(DatabaseEngine.Sqlite);

public sealed class PostgresLinkageReviewTests() : LinkageReviewTests(DatabaseEngine.Postgres);
