using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Statistics;

/// <summary>
/// The Children in Need census return (issue 29) on hand-built records with known answers, through the real HTTP pipeline
/// as the council's returns officer: the children of a census year (its edges in UK time), each from the council's own
/// record of them (never a name), their referrals, enquiries, conferences and plans; a child the council holds no record
/// of reported by the case's reference; the purpose opening nothing but the export; every export audited with its children.
/// </summary>
public abstract class CinCensusTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const string Officer = "demo-la-returns";
    private FhirTestHub _hub = null!;
    private static readonly TimeSpan Bst = TimeSpan.FromHours(1);

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static DateTimeOffset Uk(int year, int month, int day, int hour, int minute = 0) =>
        new(year, month, day, hour, minute, 0, (year, month, day) switch
        {
            (2027, 3, >= 28) or (_, >= 4 and <= 9, _) or (2026, 10, < 25) => Bst,
            _ => TimeSpan.Zero,
        });

    private int _n;

    private async Task<Person> PersonAsync(string agency, string birthDate, PersonKind kind = PersonKind.Child, string sex = "female",
        params (IdentifierKind Kind, string Value)[] identifiers)
    {
        var n = ++_n;
        var person = new Person { Id = Guid.NewGuid(), OwningAgency = agency, DataClass = "person.demographics", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, Version = 1 };
        _hub.Builder.People.Seal(person, new PersonDetails(kind, $"Censuschild{n}", $"Censusfamily{n}",
            DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture), sex, null, identifiers));
        await using var db = _hub.Contexts.Create();
        db.People.Add(person);
        await db.SaveChangesAsync();
        return person;
    }


    private async Task<Referral> ReferralAsync(Person subject, string agency, DateTimeOffset received, ReferralDecision? decision = null, DateTimeOffset? decided = null,
        ReferralKind kind = ReferralKind.Referral)
    {
        var referral = new Referral
        {
            Id = Guid.NewGuid(), OwningAgency = agency, DataClass = "referral", SubjectPersonId = subject.Id, ReceivedAt = received.ToUniversalTime(),
            DecisionDueAt = received.ToUniversalTime().AddDays(1), Kind = kind, Decision = decision, DecidedAt = decided?.ToUniversalTime(),
            Reference = $"REF-{++_n:00000}", CreatedAt = received.ToUniversalTime(), UpdatedAt = received.ToUniversalTime(), Version = 1,
        };
        referral.Concern = _hub.Services.GetRequiredService<IFieldCipher>().Encrypt("Synthetic concern", SensitiveFields.For(referral, nameof(Referral.Concern)));
        await using var db = _hub.Contexts.Create();
        db.Referrals.Add(referral);
        await db.SaveChangesAsync();
        return referral;
    }

    private async Task CaseAsync(Person child, Action<Enquiry> shape)
    {
        var e = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = Enquiry.DataClassCode, Reference = $"CIN-{++_n:00000}", LeadPractitioner = "demo-la-lcpp",
            Status = EnquiryStatus.Open, Version = 1,
        };
        shape(e);
        (e.CreatedAt, e.UpdatedAt) = (e.OpenedAt, e.OpenedAt);
        e.Subjects.Add(new EnquirySubject { EnquiryId = e.Id, PersonId = child.Id, Role = "child" });
        foreach (var c in e.Conferences)
        {
            c.EnquiryId = e.Id;
        }
        await using var db = _hub.Contexts.Create();
        db.Add(e);
        await db.SaveChangesAsync();
    }

    private static CaseConference Conference(ConferenceKind kind, DateTimeOffset held, string decision) =>
        new() { Id = Guid.NewGuid(), Kind = kind, HeldAt = held.ToUniversalTime(), Decision = decision, RecordedAt = held.ToUniversalTime() };

    private static string? Value(XElement parent, string name) => parent.Element(name)?.Value;

    [Fact]
    public async Task Given_a_years_referrals_enquiries_and_plans_when_the_returns_officer_exports_the_census_then_each_child_shows_from_the_councils_own_record()
    {
        // A child on a plan: the council's record (its identifier and UPN) linked to the police's, who referred in June; the
        // strategy discussion started section 47 the next day, the initial conference made a neglect plan, a review in September.
        // The child had a plan in 2024 too, long closed.
        var child = await PersonAsync("la", "2016-05-04", sex: "male", identifiers: [(IdentifierKind.LaPersonId, "LA000101"), (IdentifierKind.Upn, "A12345678901B")]);
        var policeRecord = await PersonAsync("police", "2016-05-04", sex: "male");
        await _hub.LinkAsync(child, policeRecord);
        var referral = await ReferralAsync(policeRecord, "police", Uk(2026, 6, 10, 9), ReferralDecision.Section47Enquiry, Uk(2026, 6, 10, 15));
        await CaseAsync(child, e =>
        {
            (e.ReferralId, e.OpenedAt, e.Section47StartedAt, e.ConferenceDueBy) = (referral.Id, Uk(2026, 6, 11, 9).ToUniversalTime(), Uk(2026, 6, 11, 10).ToUniversalTime(),
                Uk(2026, 7, 2, 10).ToUniversalTime());
            (e.Stage, e.Outcome, e.PlanStartedAt, e.PlanCategory) = (CaseStage.ChildProtectionPlan, EnquiryOutcome.ChildProtectionConference, Uk(2026, 7, 1, 11).ToUniversalTime(), "neglect");
            e.Conferences.Add(Conference(ConferenceKind.Initial, Uk(2026, 7, 1, 11), "plan"));
            e.Conferences.Add(Conference(ConferenceKind.Review, Uk(2026, 9, 30, 14), "continue-plan"));
        });
        await CaseAsync(child, e =>
        {
            (e.OpenedAt, e.Section47StartedAt, e.Status, e.Outcome) = (Uk(2024, 2, 1, 9).ToUniversalTime(), Uk(2024, 2, 1, 9).ToUniversalTime(), EnquiryStatus.Closed, EnquiryOutcome.PlanEnded);
            (e.PlanStartedAt, e.PlanEndedAt, e.ClosedAt, e.PlanCategory) = (Uk(2024, 2, 20, 10).ToUniversalTime(), Uk(2024, 12, 2, 10).ToUniversalTime(),
                Uk(2024, 12, 2, 10).ToUniversalTime(), "physical-abuse");
        });
        // A contact about the same child is not a referral: no second episode.
        await ReferralAsync(policeRecord, "police", Uk(2026, 11, 3, 9), kind: ReferralKind.Contact);
        // An unborn child referred by health in August, decided no further action the next day.
        var unborn = await PersonAsync("la", "2026-12-01", PersonKind.Unborn);
        await ReferralAsync(unborn, "health", Uk(2026, 8, 3, 12), ReferralDecision.NoFurtherAction, Uk(2026, 8, 4, 10));
        // A school's referral of a child the council holds no record of: reported by the referral's reference, nothing else.
        var unknown = await PersonAsync("education", "2014-01-09");
        var unrecorded = await ReferralAsync(unknown, "education", Uk(2026, 5, 5, 10));
        // The year's edges in UK time: 23:30 on 31 March 2027 (BST) is in it; 00:30 on 1 April is the next year's, and so is
        // a referral of May 2025 in the year before.
        var last = await PersonAsync("la", "2019-02-02", identifiers: [(IdentifierKind.LaPersonId, "LA000303")]);
        await ReferralAsync(last, "probation", Uk(2027, 3, 31, 23, 30));
        var next = await PersonAsync("la", "2018-08-08", identifiers: [(IdentifierKind.LaPersonId, "LA000404")]);
        await ReferralAsync(next, "police", Uk(2027, 4, 1, 0, 30));
        var before = await PersonAsync("la", "2017-07-07", identifiers: [(IdentifierKind.LaPersonId, "LA000505")]);
        await ReferralAsync(before, "police", Uk(2025, 5, 20, 10), ReferralDecision.NoFurtherAction, Uk(2025, 5, 21, 10));

        using (var response = await _hub.GetAsync("/statistics/census/children-in-need?year=2026-27", Officer, "cin-census"))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var summary = JsonDocument.Parse(body).RootElement;
            Assert.Equal("2026-27", summary.GetProperty("year").GetString());
            Assert.Equal("2027-03-31", summary.GetProperty("referenceDate").GetString());
            Assert.Equal(3, summary.GetProperty("children").GetInt32());
            Assert.Equal(3, summary.GetProperty("episodes").GetInt32());
            var gap = Assert.Single(summary.GetProperty("gaps").EnumerateArray());
            Assert.Equal(unrecorded.Reference, gap.GetProperty("reference").GetString());
            var fields = summary.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("element").GetString()!, f => f.GetProperty("filled").GetString());
            Assert.Equal("never", fields["Ethnicity"]);
            Assert.Equal("when recorded", fields["UPN"]);
        }

        using var export = await _hub.GetAsync("/statistics/census/children-in-need.xml?year=2026-27", Officer, "cin-census");
        var xml = await export.Content.ReadAsStringAsync();
        Assert.True(export.StatusCode == HttpStatusCode.OK, xml);
        Assert.Equal("application/xml", export.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("Censuschild", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("Censusfamily", xml, StringComparison.Ordinal);
        var message = XDocument.Parse(xml).Root!;
        Assert.Equal("CIN", message.Element("Header")!.Element("CollectionDetails")!.Element("Collection")!.Value);
        Assert.Equal("2027-03-31", message.Element("Header")!.Element("CollectionDetails")!.Element("ReferenceDate")!.Value);
        var children = message.Element("Children")!.Elements("Child").ToList();
        Assert.Equal(3, children.Count);

        var planned = children.Single(c => Value(c.Element("ChildIdentifiers")!, "LAchildID") == "LA000101");
        var ids = planned.Element("ChildIdentifiers")!;
        Assert.Equal(("A12345678901B", "2016-05-04", "1"), (Value(ids, "UPN"), Value(ids, "PersonBirthDate"), Value(ids, "GenderCurrent")));
        var episode = Assert.Single(planned.Elements("CINdetails"));
        Assert.Equal(("2026-06-10", "6", "false", "2026-07-01"),
            (Value(episode, "CINreferralDate"), Value(episode, "ReferralSource"), Value(episode, "ReferralNFA"), Value(episode, "DateOfInitialCPC")));
        Assert.Null(episode.Element("CINclosureDate"));
        var s47 = Assert.Single(episode.Elements("Section47"));
        Assert.Equal(("2026-06-11", "2026-07-02", "2026-07-01", "false"),
            (Value(s47, "S47ActualStartDate"), Value(s47, "InitialCPCtarget"), Value(s47, "DateOfInitialCPC"), Value(s47, "ICPCnotRequired")));
        var plan = Assert.Single(episode.Elements("ChildProtectionPlans"));
        Assert.Equal(("2026-07-01", "NEG", "1"), (Value(plan, "CPPstartDate"), Value(plan, "InitialCategoryOfAbuse"), Value(plan, "NumberOfPreviousCPP")));
        Assert.Null(plan.Element("CPPendDate"));
        Assert.Equal(["2026-09-30"], plan.Element("Reviews")!.Elements("CPPreviewDate").Select(r => r.Value));

        var expected = children.Single(c => Value(c.Element("ChildIdentifiers")!, "ExpectedPersonBirthDate") is not null);
        Assert.Equal("2026-12-01", Value(expected.Element("ChildIdentifiers")!, "ExpectedPersonBirthDate"));
        Assert.Null(expected.Element("ChildIdentifiers")!.Element("PersonBirthDate"));
        Assert.Null(expected.Element("ChildIdentifiers")!.Element("LAchildID"));
        var nfa = Assert.Single(expected.Elements("CINdetails"));
        Assert.Equal(("2026-08-03", "3F", "true", "2026-08-04"),
            (Value(nfa, "CINreferralDate"), Value(nfa, "ReferralSource"), Value(nfa, "ReferralNFA"), Value(nfa, "CINclosureDate")));

        var edge = children.Single(c => Value(c.Element("ChildIdentifiers")!, "LAchildID") == "LA000303");
        Assert.Equal(("2027-03-31", "7"), (Value(edge.Element("CINdetails")!, "CINreferralDate"), Value(edge.Element("CINdetails")!, "ReferralSource")));
        Assert.DoesNotContain("LA000404", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("LA000505", xml, StringComparison.Ordinal);

        // Each export is audited under the census purpose with the council's records of the children it names, and no other record.
        await using var db = _hub.Contexts.Create();
        var entries = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "census.export").ToListAsync();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, a => Assert.Equal(("success", "cin-census", Officer), (a.Outcome, a.Purpose, a.Actor)));
        Assert.All([child.Id, unborn.Id, last.Id], id => Assert.Contains($"|{id}|", entries[1].Subjects, StringComparison.Ordinal));
        Assert.All([policeRecord.Id, unknown.Id, next.Id, before.Id], id => Assert.DoesNotContain(id.ToString(), entries[1].Subjects, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_census_purpose_opens_nothing_but_the_export_and_the_export_is_the_returns_officers_alone()
    {
        var child = await PersonAsync("la", "2016-05-04", identifiers: [(IdentifierKind.LaPersonId, "LA000909")]);
        await ReferralAsync(child, "police", Uk(2026, 6, 10, 9));

        // The returns officer cannot read the child's record through FHIR or OData under the census purpose.
        using (var read = await _hub.GetAsync($"/fhir/Patient/{child.Id}", Officer, "cin-census"))
        {
            var body = await read.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
            Assert.Contains("only to census.export", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Censuschild", body, StringComparison.Ordinal);
        }
        using (var search = await _hub.GetAsync("/odata/People", Officer, "cin-census"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, search.StatusCode);
        }
        // Nobody else exports it: not the analyst (aggregates only), not a lead practitioner.
        foreach (var user in new[] { "demo-la-analyst", "demo-la-lcpp" })
        {
            using var refused = await _hub.GetAsync("/statistics/census/children-in-need.xml?year=2026-27", user, "cin-census");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.DoesNotContain("LA000909", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // The export names its purpose, and is made for a census year.
        using (var unnamed = await _hub.GetAsync("/statistics/census/children-in-need.xml?year=2026-27", Officer))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
            Assert.Contains("purpose_required", await unnamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        foreach (var year in new[] { "2026-Q3", "2026", "next-year", "" })
        {
            using var wrong = await _hub.GetAsync($"/statistics/census/children-in-need.xml?year={year}", Officer, "cin-census");
            var body = await wrong.Content.ReadAsStringAsync();
            Assert.True(wrong.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.Equal("application/problem+json", wrong.Content.Headers.ContentType!.MediaType);
            Assert.Contains("invalid_year", body, StringComparison.Ordinal);
        }
    }
}

public sealed class SqliteCinCensusTests() : CinCensusTests(DatabaseEngine.Sqlite);

public sealed class PostgresCinCensusTests() : CinCensusTests(DatabaseEngine.Postgres);
