using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.OData;

/// <summary>
/// The leak suite. Two hubs hold the same records with the same ids and times, except for what the
/// readers below may not know: one has a police intelligence record about the child (which they may
/// not see) and the two differ in the value of fields withheld from them. Every combination of
/// $filter, $orderby, $count, $expand, $select and paging must answer byte for byte the same in both.
/// </summary>
public abstract class ODataLeakTests(DatabaseEngine engine) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 10, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid LaChild = Id("la-child");
    private static readonly Guid PoliceChild = Id("police-child");
    private static readonly Guid HealthChild = Id("health-child");
    private static readonly Guid Enquiry = Id("enquiry");
    private static readonly Guid Hidden = Id("hidden-intelligence");
    private static readonly Guid Camhs = Id("camhs-referral");
    private static readonly Guid Referral = Id("front-door-referral");

    private FhirTestHub _with = null!;
    private FhirTestHub _without = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["SharingHub:OData:MaxPageSize"] = "2" };
        _with = await FhirTestHub.StartAsync(engine, settings, new ManualClock(Now));
        _without = await FhirTestHub.StartAsync(engine, settings, new ManualClock(Now));
        await BuildAsync(_with, hidden: true, secret: "OMEGA");
        await BuildAsync(_without, hidden: false, secret: "ALPHA");
    }

    public async Task DisposeAsync()
    {
        await _with.DisposeAsync();
        await _without.DisposeAsync();
    }

    private static Guid Id(string name) => new(MD5.HashData(Encoding.UTF8.GetBytes("odata-leak/" + name)));

    private static async Task BuildAsync(FhirTestHub hub, bool hidden, string secret)
    {
        var (b, store, ct) = (hub.Builder, hub.Store, CancellationToken.None);
        var at = new DateTimeOffset(2026, 9, 1, 10, 0, 0, TimeSpan.Zero);
        var la = await store.AddAsync(b.Person("la", "Nia", "Leaktest", "2016-07-08", IdentifierKind.LaPersonId, "LA-7001", id: LaChild), ct);
        var police = await store.AddAsync(b.Person("police", "Nia", "Leaktest", "2016-07-08", IdentifierKind.PncId,
            "2019/0012345" + Core.People.AgencyIdentifiers.PncCheckLetter("19", "0012345"), id: PoliceChild), ct);
        var health = await store.AddAsync(b.Person("health", "Nia", "Leaktest", "2016-07-08", IdentifierKind.NhsNumber, "9990000026", id: HealthChild), ct);
        await store.AddAsync(b.Event(la, "la", "Home visit", at.AddDays(20), "MOS-1", "la.social-care", "Seen alone", "home-visit", Id("visit")), ct);
        await store.AddAsync(b.Event(police, "police", "Report of shouting", at.AddDays(10), "NICHE-1", "police.incident", "Two adults present", "domestic-abuse-incident",
            Id("incident")), ct);
        await store.AddAsync(b.Event(health, "health", "Missed appointment", at.AddDays(2), "SYS1-1", "health.clinical", "Third this year", "missed-appointment", Id("missed"),
            Significance.Low), ct);
        // Seen by the readers, but its source reference and detail are withheld from them: only those differ between the hubs.
        await store.AddAsync(b.Event(health, "health", "Referred to CAMHS", at.AddDays(14), "SRC-" + secret, "health.mental-health", "Detail " + secret, "camhs-referral",
            Camhs, Significance.Critical), ct);
        if (hidden)
        {
            await store.AddAsync(b.Event(police, "police", "Intelligence about an adult", at.AddDays(11), "INTEL-1", "police.intelligence", "Source-sensitive",
                "intelligence", Hidden, Significance.Critical), ct);
        }
        // The front door reads for this referral about the child (front-door-triage is bound to its case).
        var referral = new Referral
        {
            Id = Referral, OwningAgency = "police", DataClass = "referral", SubjectPersonId = PoliceChild, ReceivedAt = at.AddDays(25), DecisionDueAt = at.AddDays(26),
        };
        referral.Concern = b.Seal(referral, nameof(Core.Records.Referral.Concern), "Shouting heard again");
        await store.AddAsync(referral, ct);
        await store.AddAsync(new Enquiry
        {
            Id = Enquiry, OwningAgency = "la", DataClass = "enquiry", Reference = "S47-LEAK", Status = EnquiryStatus.Open, OpenedAt = at,
            LeadPractitioner = "demo-la-lcpp",
            Members =
            [
                new() { Id = Id("m1"), Agency = "la", UserSubject = "demo-la-lcpp", Role = "lcpp", AddedAt = at },
                new() { Id = Id("m2"), Agency = "education", UserSubject = "demo-education-lead", Role = "education", AddedAt = at },
            ],
        }.WithSubject(LaChild), ct);
    }

    private static IEnumerable<string> Queries()
    {
        string[] filters =
        [
            "sourceReference eq 'SRC-ALPHA'", "sourceReference eq 'SRC-OMEGA'", "startswith(sourceReference,'SRC')", "sourceReference gt 'SRC-B'",
            "sourceReference eq null", "contains(sourceReference,'OMEGA')", "length(sourceReference) gt 8", "sourceReference in ('SRC-ALPHA','INTEL-1')",
            "dataClass eq 'police.intelligence'", "category eq 'intelligence'", "significance eq 'critical'", "owningAgency eq 'police'",
            "occurredAt ge 2026-09-12T00:00:00Z and occurredAt lt 2026-09-13T00:00:00Z", "date(occurredAt) eq 2026-09-12", $"id eq {Hidden}",
            $"id in ({Hidden},{Camhs})", $"subjects/any(p: p/id eq {PoliceChild})", $"not (id eq {Hidden})", "sourceReference eq 'INTEL-1' or category eq 'home-visit'",
        ];
        foreach (var filter in filters)
        {
            yield return $"/odata/Events?$filter={filter}&$count=true";
            yield return $"/odata/Events/$count?$filter={filter}";
        }
        string[] orders = ["occurredAt desc", "sourceReference", "sourceReference desc", "significance desc,occurredAt", "category,id", "dataClass desc"];
        foreach (var order in orders)
        {
            yield return $"/odata/Events?$orderby={order}&$count=true";
            yield return $"/odata/Events?$orderby={order}&$top=3&$skip=1&$select=id,sourceReference,detail";
        }
        for (var skip = 0; skip < 7; skip++)
        {
            yield return $"/odata/Events?$orderby=occurredAt&$top=1&$skip={skip}";
        }
        yield return "/odata/Events";
        yield return "/odata/Events/$count";
        yield return $"/odata/Events({Hidden})";
        yield return $"/odata/Events({Camhs})?$select=sourceReference,detail,summary";
        yield return $"/odata/Events({Camhs})?$expand=subjects";
        yield return "/odata/Events?$expand=subjects($select=familyName)&$filter=owningAgency eq 'police'&$count=true";
        yield return "/odata/Events?$expand=subjects&$orderby=occurredAt desc";
        yield return $"/odata/People({LaChild})/SharingHub.chronology()?$count=true";
        yield return $"/odata/People({LaChild})/SharingHub.chronology()/$count";
        yield return $"/odata/People({LaChild})/SharingHub.chronology()?$filter=occurredAt gt 2026-09-11T12:00:00Z&$orderby=occurredAt&$top=1";
        yield return $"/odata/People({LaChild})/SharingHub.chronology()?$filter=sourceReference ne 'SRC-ALPHA'&$count=true&$expand=subjects";
        yield return $"/odata/People({PoliceChild})/SharingHub.chronology()?$orderby=significance desc&$count=true";
        yield return "/odata/People?$filter=familyName eq 'Leaktest'&$count=true&$orderby=owningAgency";
        yield return "/odata/Enquiries?$expand=subjects&$count=true";
        yield return $"/odata/Events?$filter=subjects/any(p: p/id in ({PoliceChild},{HealthChild}))&$orderby=sourceReference&$count=true&$expand=subjects";
    }

    /// <summary>A read as the reader makes it: the front door names the referral it is triaging.</summary>
    private static Task<HttpResponseMessage> GetAsync(FhirTestHub hub, string url, string user, string purpose, Guid? enquiry) =>
        purpose == "front-door-triage" ? hub.TriageAsync(url, user, Referral) : hub.GetAsync(url, user, purpose, enquiry);

    /// <summary>Each query's status and body, and every page after it: the whole answer a client could see.</summary>
    private static async Task<List<string>> AnswersAsync(FhirTestHub hub, string user, string purpose, Guid? enquiry)
    {
        var answers = new List<string>();
        foreach (var query in Queries())
        {
            for (var (url, pages) = ((string?)query, 0); url is not null && pages < 10; pages++)
            {
                using var response = await GetAsync(hub, url, user, purpose, enquiry);
                var body = await response.Content.ReadAsStringAsync();
                Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
                answers.Add($"{url} -> {(int)response.StatusCode} {body}");
                url = response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType == "application/json"
                    && JsonDocument.Parse(body).RootElement.TryGetProperty("@odata.nextLink", out var next) ? new Uri(next.GetString()!).PathAndQuery : null;
            }
        }
        return answers;
    }

    [Theory]
    [InlineData("demo-education-lead", "s47-enquiry", true)]
    [InlineData("demo-la-front-door", "front-door-triage", false)]
    public async Task Given_a_hidden_record_and_withheld_values_then_no_query_combination_answers_differently(string user, string purpose, bool inEnquiry)
    {
        Guid? enquiry = inEnquiry ? Enquiry : null;
        // The premise: this reader may not read the hidden record, nor the two fields whose values differ.
        using (var hidden = await GetAsync(_with, $"/odata/Events({Hidden})", user, purpose, enquiry))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }
        using (var camhs = await GetAsync(_with, $"/odata/Events({Camhs})", user, purpose, enquiry))
        {
            var body = await camhs.Content.ReadAsStringAsync();
            if (camhs.StatusCode == HttpStatusCode.OK)
            {
                Assert.DoesNotContain("OMEGA", body, StringComparison.Ordinal);
            }
        }

        var with = await AnswersAsync(_with, user, purpose, enquiry);
        var without = await AnswersAsync(_without, user, purpose, enquiry);

        Assert.True(with.Count >= Queries().Count(), $"only {with.Count} answers");
        for (var i = 0; i < Math.Max(with.Count, without.Count); i++)
        {
            Assert.Equal(without.ElementAtOrDefault(i), with.ElementAtOrDefault(i));
        }
        // Not a vacuous comparison: the reader does see records through these queries.
        Assert.Contains(with, a => a.Contains("\"value\":[{", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Given_the_lcpp_who_may_read_them_then_the_same_queries_do_find_the_hidden_record_and_the_values()
    {
        var with = await AnswersAsync(_with, "demo-la-lcpp", "s47-enquiry", Enquiry);
        var without = await AnswersAsync(_without, "demo-la-lcpp", "s47-enquiry", Enquiry);

        Assert.NotEqual(without, with);
        Assert.Contains(with, a => a.Contains("Intelligence about an adult", StringComparison.Ordinal));
        Assert.Contains(with, a => a.Contains("SRC-OMEGA", StringComparison.Ordinal));
    }
}

public sealed class SqliteODataLeakTests() : ODataLeakTests(DatabaseEngine.Sqlite);

public sealed class PostgresODataLeakTests() : ODataLeakTests(DatabaseEngine.Postgres);
