using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Statistics;

/// <summary>
/// The measures of issue 29 on hand-built records with known answers, through the real HTTP pipeline as the council's
/// analyst: working-day edges (a bank holiday weekend, a red referral's clock hours at night), repeat referrals across
/// linked records, suppression of small cells and of the cell that would give one away, and the refusals around them.
/// </summary>
public abstract class StatisticsTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;
    private static readonly TimeSpan Bst = TimeSpan.FromHours(1);

    // Pages of 50 figures, so that reading the feed follows its next links as a client would over a year of figures.
    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine, new Dictionary<string, string?> { ["SharingHub:Statistics:PageSize"] = "50" });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static DateTimeOffset Uk(int month, int day, int hour, int minute = 0, int year = 2026) => new(year, month, day, hour, minute, 0, month is >= 4 and <= 10 ? Bst : TimeSpan.Zero);

    private async Task<JsonElement> MeasuresAsync(string period)
    {
        using var response = await _hub.GetAsync($"/statistics/measures?period={period}", "demo-la-analyst", "statistics");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>A figure: its count and denominator, or (null, null) when suppressed.</summary>
    private static (int? Count, int? Denominator, double? Percent, double? Median, bool Suppressed) Figure(JsonElement answer, string measure, string breakdown = "total", string category = "total")
    {
        var row = answer.GetProperty("rows").EnumerateArray().SingleOrDefault(r => r.GetProperty("measure").GetString() == measure
            && r.GetProperty("breakdown").GetString() == breakdown && r.GetProperty("category").GetString() == category);
        Assert.True(row.ValueKind == JsonValueKind.Object, $"no figure for {measure} by {breakdown} = {category}");
        static int? Int(JsonElement r, string name) => r.GetProperty(name).ValueKind == JsonValueKind.Null ? null : r.GetProperty(name).GetInt32();
        static double? Real(JsonElement r, string name) => r.GetProperty(name).ValueKind == JsonValueKind.Null ? null : r.GetProperty(name).GetDouble();
        return (Int(row, "count"), Int(row, "denominator"), Real(row, "percent"), Real(row, "median"), row.GetProperty("suppressed").GetBoolean());
    }

    private int _people;

    private async Task<Person> PersonAsync(string agency)
    {
        var n = ++_people;
        var person = _hub.Builder.Person(agency, $"Statchild{n}", $"Statfamily{n}", $"2015-{1 + n % 12:00}-{1 + n % 27:00}", kind: null);
        await using var db = _hub.Contexts.Create();
        db.People.Add(person);
        await db.SaveChangesAsync();
        return person;
    }

    private async Task<Referral> ReferralAsync(Person subject, string agency, DateTimeOffset received, ReferralUrgency urgency = ReferralUrgency.Amber,
        ReferralKind kind = ReferralKind.Referral, DateTimeOffset? decided = null, ReferralDecision decision = ReferralDecision.Section47Enquiry)
    {
        var referral = new Referral
        {
            Id = Guid.NewGuid(), OwningAgency = agency, DataClass = "referral", SubjectPersonId = subject.Id, ReceivedAt = received.ToUniversalTime(),
            DecisionDueAt = received.ToUniversalTime().AddDays(1), Urgency = urgency, Kind = kind,
            Decision = decided is null ? null : decision, DecidedAt = decided?.ToUniversalTime(), CreatedAt = received.ToUniversalTime(), UpdatedAt = received.ToUniversalTime(), Version = 1,
        };
        referral.Concern = _hub.Services.GetRequiredService<IFieldCipher>().Encrypt("Synthetic concern", SensitiveFields.For(referral, nameof(Referral.Concern)));
        await using var db = _hub.Contexts.Create();
        db.Referrals.Add(referral);
        await db.SaveChangesAsync();
        return referral;
    }


    [Fact]
    public async Task Front_door_measures_follow_the_working_calendar_and_the_links_between_records()
    {
        // Eleven amber referrals by the police on Friday 28 August 2026 at 15:30: Monday 31 August is a bank holiday, so each
        // is due on Tuesday 1 September at 15:30. Six decided at 15:00 that Tuesday (in time), five at 16:00 (late).
        var policeChildren = new List<Person>();
        for (var i = 0; i < 11; i++)
        {
            var child = await PersonAsync("police");
            policeChildren.Add(child);
            await ReferralAsync(child, "police", Uk(8, 28, 15, 30), decided: Uk(9, 1, i < 6 ? 15 : 16));
        }
        // Five red contacts by health on Saturday 5 September at 22:00, due four clock hours later (Sunday 02:00): decided at 01:30.
        var told = new List<Referral>();
        for (var i = 0; i < 5; i++)
        {
            told.Add(await ReferralAsync(await PersonAsync("health"), "health", Uk(9, 5, 22), ReferralUrgency.Red, ReferralKind.Contact, Uk(9, 6, 1, 30),
                ReferralDecision.ImmediateProtection));
        }
        // The health contacts' referrer was sent the decision; the police's was not (yet).
        await using (var db = _hub.Contexts.Create())
        {
            foreach (var r in told)
            {
                db.Notifications.Add(new Data.Notifications.Notification
                {
                    Id = Guid.NewGuid(), Organisation = "health", Kind = "referral.decided", Payload = $$"""{"task":"Task/{{r.Id}}","decision":"immediateProtection"}""",
                    CreatedAt = Uk(9, 6, 1, 30).ToUniversalTime(), DueAt = Uk(9, 6, 1, 30).ToUniversalTime(), NextAttemptAt = Uk(9, 6, 1, 30).ToUniversalTime(),
                    DeliveredAt = Uk(9, 6, 1, 31).ToUniversalTime(),
                });
            }
            await db.SaveChangesAsync();
        }
        // Ten referrals in September: three by education about its own records of police-referred children (linked records),
        // two by the police again about the same records, five about children never referred in the 12 months before (one
        // of them referred 13 months earlier).
        for (var i = 0; i < 3; i++)
        {
            var school = await PersonAsync("education");
            await _hub.LinkAsync(school, policeChildren[i]);
            await ReferralAsync(school, "education", Uk(9, 14, 10));
        }
        await ReferralAsync(policeChildren[3], "police", Uk(9, 15, 10));
        await ReferralAsync(policeChildren[4], "police", Uk(9, 15, 11));
        var longAgo = await PersonAsync("education");
        await ReferralAsync(longAgo, "education", Uk(8, 10, 10, year: 2025));
        await ReferralAsync(longAgo, "education", Uk(9, 16, 10));
        for (var i = 0; i < 4; i++)
        {
            await ReferralAsync(await PersonAsync("education"), "education", Uk(9, 16, 11));
        }

        var september = await MeasuresAsync("2026-09");
        Assert.Equal((5, (int?)null), (Figure(september, "contacts-received").Count, Figure(september, "contacts-received").Denominator));
        Assert.Equal(5, Figure(september, "contacts-received", "urgency", "red").Count);
        Assert.Equal(16, Figure(september, "front-door-decisions").Count);
        Assert.Equal(11, Figure(september, "front-door-decisions", "outcome", "section47-enquiry").Count);
        Assert.Equal(5, Figure(september, "front-door-decisions", "outcome", "immediate-protection").Count);
        // Without the bank holiday all eleven amber decisions would be late; without the clock hours of red, the red ones too.
        var inTime = Figure(september, "decided-in-time");
        Assert.Equal((11, 16, 68.8), (inTime.Count!.Value, inTime.Denominator!.Value, inTime.Percent!.Value));
        Assert.Equal((6, 11), (Figure(september, "decided-in-time", "urgency", "amber").Count!.Value, Figure(september, "decided-in-time", "urgency", "amber").Denominator!.Value));
        Assert.Equal((5, 5), (Figure(september, "decided-in-time", "urgency", "red").Count!.Value, Figure(september, "decided-in-time", "urgency", "red").Denominator!.Value));
        var repeats = Figure(september, "repeat-referrals");
        Assert.Equal((5, 10, 50.0), (repeats.Count!.Value, repeats.Denominator!.Value, repeats.Percent!.Value));
        Assert.Equal((5, 16), (Figure(september, "referrers-told-outcome").Count!.Value, Figure(september, "referrers-told-outcome").Denominator!.Value));
        Assert.Equal(10, Figure(september, "referrals-received").Count);
        // Two police referrals in September would point at two children: suppressed; education's eight would give them
        // away by subtraction from the total of ten, so they are suppressed too.
        Assert.True(Figure(september, "referrals-received", "source-agency", "police").Suppressed);
        Assert.Null(Figure(september, "referrals-received", "source-agency", "police").Count);
        Assert.True(Figure(september, "referrals-received", "source-agency", "education").Suppressed);

        var august = await MeasuresAsync("2026-08");
        Assert.Equal(11, Figure(august, "referrals-received").Count);
        Assert.Equal(0, Figure(august, "front-door-decisions").Count);
        Assert.False(Figure(august, "front-door-decisions").Suppressed);
        // The quarter holds both months; the financial year too.
        Assert.Equal(21, Figure(await MeasuresAsync("2026-Q3"), "referrals-received").Count);
        Assert.Equal(21, Figure(await MeasuresAsync("2026-27"), "referrals-received").Count);
    }

    private async Task<Enquiry> CaseAsync(Action<Enquiry> shape, params Person[] children)
    {
        var n = ++_people;
        var e = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = Enquiry.DataClassCode, Reference = $"STAT-{n:0000}-{Guid.NewGuid():N}"[..24],
            LeadPractitioner = "demo-la-lcpp", Status = EnquiryStatus.Open, Version = 1,
        };
        shape(e);
        e.CreatedAt = e.OpenedAt;
        e.UpdatedAt = e.OpenedAt;
        foreach (var child in children)
        {
            e.Subjects.Add(new EnquirySubject { EnquiryId = e.Id, PersonId = child.Id, Role = "child" });
        }
        foreach (var part in e.Conferences.Cast<IEnquiryPart>().Concat(e.CoreGroupMeetings).Concat(e.EmergencyActions))
        {
            switch (part)
            {
                case CaseConference c:
                    c.EnquiryId = e.Id;
                    break;
                case CoreGroupMeeting m:
                    m.EnquiryId = e.Id;
                    break;
                case EmergencyAction a:
                    a.EnquiryId = e.Id;
                    break;
            }
        }
        await using var db = _hub.Contexts.Create();
        db.Add(e);
        await db.SaveChangesAsync();
        return e;
    }

    private static CaseConference Conference(ConferenceKind kind, DateTimeOffset held, string decision) =>
        new() { Id = Guid.NewGuid(), Kind = kind, HeldAt = held.ToUniversalTime(), Decision = decision, RecordedAt = held.ToUniversalTime() };

    [Fact]
    public async Task Child_protection_measures_count_working_days_to_conference_and_plans_by_child()
    {
        // Five enquiries started on Monday 17 August at 10:00: fifteen working days (Monday 31 August a bank holiday) end on
        // Tuesday 8 September at 10:00; their conferences at 09:30 that day are in time, and each made a neglect plan.
        for (var i = 0; i < 5; i++)
        {
            var start = Uk(8, 17, 10);
            var held = Uk(9, 8, 9, 30);
            await CaseAsync(e =>
            {
                (e.OpenedAt, e.Section47StartedAt, e.StrategyDecision, e.Stage, e.Outcome) = (start.AddHours(-2).ToUniversalTime(), start.ToUniversalTime(), "section-47",
                    CaseStage.ChildProtectionPlan, EnquiryOutcome.ChildProtectionConference);
                (e.PlanStartedAt, e.PlanCategory) = (held.ToUniversalTime(), "neglect");
                e.Conferences.Add(Conference(ConferenceKind.Initial, held, "plan"));
                // The core group met on Monday 21 September, within 10 working days of the conference (due Tuesday 22nd).
                e.CoreGroupMeetings.Add(new CoreGroupMeeting { Id = Guid.NewGuid(), HeldAt = Uk(9, 21, 14).ToUniversalTime(), RecordedAt = Uk(9, 21, 14).ToUniversalTime() });
            }, await PersonAsync("la"));
        }
        // Five started on Monday 3 August at 10:00, due Monday 24 August at 10:00; their conferences on Tuesday 25th are late.
        // Two made emotional abuse plans whose core groups have not met; three decided no plan.
        for (var i = 0; i < 5; i++)
        {
            var start = Uk(8, 3, 10);
            var held = Uk(8, 25, 10);
            var plan = i < 2;
            await CaseAsync(e =>
            {
                (e.OpenedAt, e.Section47StartedAt, e.StrategyDecision) = (start.AddHours(-2).ToUniversalTime(), start.ToUniversalTime(), "section-47");
                e.Conferences.Add(Conference(ConferenceKind.Initial, held, plan ? "plan" : "no-plan"));
                if (plan)
                {
                    (e.Stage, e.Outcome, e.PlanStartedAt, e.PlanCategory) = (CaseStage.ChildProtectionPlan, EnquiryOutcome.ChildProtectionConference, held.ToUniversalTime(), "emotional-abuse");
                }
                else
                {
                    (e.Status, e.ClosedAt, e.Outcome) = (EnquiryStatus.Closed, held.ToUniversalTime(), EnquiryOutcome.NoChildProtectionPlan);
                }
            }, await PersonAsync("la"));
        }
        // Five plans made in January, reviewed on time in April (within 3 months) and again on 30 September (within 6), which ended them.
        for (var i = 0; i < 5; i++)
        {
            await CaseAsync(e =>
            {
                (e.OpenedAt, e.Section47StartedAt) = (Uk(12, 10, 10, year: 2025).ToUniversalTime(), Uk(12, 10, 10, year: 2025).ToUniversalTime());
                (e.Status, e.ClosedAt, e.Outcome, e.PlanCategory) = (EnquiryStatus.Closed, Uk(9, 30, 11).ToUniversalTime(), EnquiryOutcome.PlanEnded, "physical-abuse");
                (e.PlanStartedAt, e.PlanEndedAt) = (Uk(1, 5, 10).ToUniversalTime(), Uk(9, 30, 11).ToUniversalTime());
                e.Conferences.Add(Conference(ConferenceKind.Initial, Uk(1, 5, 10), "plan"));
                e.Conferences.Add(Conference(ConferenceKind.Review, Uk(4, 1, 10), "continue-plan"));
                e.Conferences.Add(Conference(ConferenceKind.Review, Uk(9, 30, 11), "end-plan"));
            }, await PersonAsync("la"));
        }
        // Three police protections in the quarter: too few to publish.
        await CaseAsync(e =>
        {
            // Opened at the end of June: the enquiries the quarter started are the ten above.
            (e.OpenedAt, e.Section47StartedAt) = (Uk(6, 30, 10).ToUniversalTime(), Uk(6, 30, 10).ToUniversalTime());
            for (var i = 0; i < 3; i++)
            {
                e.EmergencyActions.Add(new EmergencyAction
                {
                    Id = Guid.NewGuid(), Kind = EmergencyActionKind.PoliceProtection, StartedAt = Uk(7, 2 + i, 3).ToUniversalTime(), ActingAgency = "police",
                    ActedBy = "demo-police-officer", RecordedAt = Uk(7, 2 + i, 4).ToUniversalTime(),
                });
            }
        }, await PersonAsync("la"));

        var q3 = await MeasuresAsync("2026-Q3");
        Assert.Equal(10, Figure(q3, "strategy-discussions").Count);
        Assert.Equal(10, Figure(q3, "strategy-discussions", "decision", "section-47").Count);
        Assert.Equal(10, Figure(q3, "section-47-enquiries-started").Count);
        Assert.Equal(10, Figure(q3, "section-47-enquiries-started", "started-from", "strategy-discussion").Count);
        Assert.Equal(10, Figure(q3, "section-47-enquiries-started", "outcome", "initial-conference").Count);
        var within = Figure(q3, "initial-conference-within-15-working-days");
        Assert.Equal((5, 10, 50.0), (within.Count!.Value, within.Denominator!.Value, within.Percent!.Value));
        var median = Figure(q3, "working-days-to-initial-conference");
        Assert.Equal((10, 15.5), (median.Count!.Value, median.Median!.Value));
        Assert.True(Figure(q3, "emergency-actions").Suppressed);
        Assert.True(Figure(q3, "emergency-actions", "kind", "police-protection").Suppressed);
        // Seven children on a plan at the end of September: five neglect and two emotional abuse (too few), and the five
        // would tell the two by subtraction, so both are suppressed.
        Assert.Equal(7, Figure(q3, "children-on-plan").Count);
        Assert.True(Figure(q3, "children-on-plan", "category", "emotional-abuse").Suppressed);
        Assert.True(Figure(q3, "children-on-plan", "category", "neglect").Suppressed);
        Assert.Equal(7, Figure(q3, "plans-started").Count);
        Assert.Equal(5, Figure(q3, "plans-ended").Count);
        Assert.Equal(5, Figure(q3, "plans-ended", "duration", "6-to-12-months").Count);
        // Core groups: five of seven met in time; the two that did not would be known from the share, so it is suppressed.
        Assert.True(Figure(q3, "core-group-within-10-working-days").Suppressed);
        var reviews = Figure(q3, "reviews-on-time");
        Assert.Equal((5, 5, 100.0), (reviews.Count!.Value, reviews.Denominator!.Value, reviews.Percent!.Value));
        // The plans that ended in September are not on a plan at the end of the year's first half... but were at the end of June.
        Assert.Equal(5, Figure(await MeasuresAsync("2026-Q2"), "children-on-plan").Count);
        Assert.Equal(5, Figure(await MeasuresAsync("2026-Q2"), "reviews-on-time").Denominator);
    }

    [Fact]
    public async Task Only_the_council_analyst_reads_measures_only_under_statistics_and_every_read_is_audited_without_a_person()
    {
        // Named or not (spreadsheet connectors send no header of their own), the measures are read under statistics, and
        // under no other purpose.
        using (var noPurpose = await _hub.GetAsync("/statistics/measures?period=2026-09", "demo-la-analyst"))
        {
            Assert.Equal(HttpStatusCode.OK, noPurpose.StatusCode);
        }
        using (var otherPurpose = await _hub.GetAsync("/statistics/measures?period=2026-09", "demo-la-lcpp", "s47-enquiry"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, otherPurpose.StatusCode);
        }
        using (var practitioner = await _hub.GetAsync("/statistics/measures?period=2026-09", "demo-la-lcpp", "statistics"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, practitioner.StatusCode);
        }
        using (var badPeriod = await _hub.GetAsync("/statistics/measures?period=2026-09-01", "demo-la-analyst", "statistics"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badPeriod.StatusCode);
            Assert.Contains("a month (2026-05)", await badPeriod.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var wrongYear = await _hub.GetAsync("/statistics/measures?period=2026-28", "demo-la-analyst", "statistics"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongYear.StatusCode);
            Assert.Contains("2026-27", await wrongYear.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var noMonth = await _hub.GetAsync("/statistics/measures?period=2026-13", "demo-la-analyst", "statistics"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noMonth.StatusCode);
        }
        // The statistics purpose opens no record, in any API, even the analyst's own council's.
        var child = await PersonAsync("la");
        foreach (var path in new[] { $"/fhir/Patient/{child.Id}", "/fhir/Patient", $"/odata/People({child.Id})", "/odata/People?$count=true&$top=1" })
        {
            using var read = await _hub.GetAsync(path, "demo-la-analyst", "statistics");
            Assert.True(read.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {read.StatusCode}");
            Assert.DoesNotContain("Statchild", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var csv = await _hub.GetAsync("/statistics/measures.csv?period=2026-09", "demo-la-analyst", "statistics"))
        {
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
            Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
            var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("period,area,measure,unit,breakdown,category,count,denominator,percent,median,suppressed", lines[0]);
            var json = await MeasuresAsync("2026-09");
            Assert.Equal(json.GetProperty("rows").GetArrayLength(), lines.Length - 1);
            Assert.Contains("2026-09,front-door,front-door-decisions,count,total,total,0,,,,false", lines);
        }
        await using var db = _hub.Contexts.Create();
        var entries = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "statistics.read").OrderBy(a => a.Sequence).ToListAsync();
        Assert.True(entries.Count(a => a.Outcome == "success" && a.Purpose == "statistics" && a.Actor == "demo-la-analyst") >= 3);
        Assert.Contains(entries, a => a.Actor == "demo-la-lcpp" && a.Outcome != "success");
        Assert.All(entries, a => Assert.Equal("|", a.Subjects));
    }

    /// <summary>Every row of the feed, read as Power BI's OData connector reads it: following @odata.nextLink to the end, no purpose header.</summary>
    private async Task<(List<JsonElement> Rows, int Pages)> FeedAsync(string path)
    {
        var rows = new List<JsonElement>();
        var pages = 0;
        for (string? next = path; next is not null; pages++)
        {
            using var response = await _hub.GetAsync(next, "demo-la-analyst");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var page = JsonDocument.Parse(body).RootElement.Clone();
            Assert.StartsWith("http", page.GetProperty("@odata.context").GetString(), StringComparison.Ordinal);
            rows.AddRange(page.GetProperty("value").EnumerateArray());
            next = page.TryGetProperty("@odata.nextLink", out var link) ? new Uri(link.GetString()!).PathAndQuery : null;
            Assert.True(pages < 100, "the feed does not end");
        }
        return (rows, pages);
    }

    private static int? Int(JsonElement row, string name) => row.GetProperty(name).ValueKind == JsonValueKind.Null ? null : row.GetProperty(name).GetInt32();

    [Fact]
    public async Task The_feed_reads_as_Power_BI_reads_it_and_its_figures_are_the_CSV_exports()
    {
        for (var i = 0; i < 11; i++)
        {
            await ReferralAsync(await PersonAsync("police"), "police", Uk(8, 28, 15, 30), decided: Uk(9, 1, i < 6 ? 15 : 16));
        }
        for (var i = 0; i < 3; i++)
        {
            await ReferralAsync(await PersonAsync("health"), "health", Uk(9, 5, 22), ReferralUrgency.Red, ReferralKind.Contact);
        }

        // The service document and $metadata, as the connector asks first (they name no record, so need no token).
        using (var service = await _hub.GetAsync("/statistics/odata/", null))
        {
            var sets = (await FhirTestHub.JsonAsync(service)).GetProperty("value").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToList();
            Assert.Equal(["Measures", "Definitions"], sets);
        }
        using (var metadata = await _hub.GetAsync("/statistics/odata/$metadata", null))
        {
            var csdl = await metadata.Content.ReadAsStringAsync();
            Assert.Contains("<EntityType Name=\"Figure\">", csdl, StringComparison.Ordinal);
            Assert.Contains("<EntitySet Name=\"Measures\" EntityType=\"SharingHub.Statistics.Figure\"", csdl, StringComparison.Ordinal);
        }

        var (rows, pages) = await FeedAsync("/statistics/odata/Measures");
        Assert.True(pages >= 2, $"{rows.Count} figures in {pages} page(s): server-driven paging was not used");
        Assert.Equal(rows.Count, rows.Select(r => r.GetProperty("Id").GetString()).Distinct().Count());
        // Each period's figures are the CSV export of that period, figure for figure.
        foreach (var period in rows.Select(r => r.GetProperty("Period").GetString()!).Distinct())
        {
            using var csv = await _hub.GetAsync($"/statistics/measures.csv?period={period}", "demo-la-analyst");
            var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
            var mine = rows.Where(r => r.GetProperty("Period").GetString() == period).ToList();
            Assert.Equal(lines.Count, mine.Count);
            Assert.Equal(lines.Sum(l => l[6].Length == 0 ? 0 : int.Parse(l[6], System.Globalization.CultureInfo.InvariantCulture)), mine.Sum(r => Int(r, "Count") ?? 0));
            Assert.Equal(lines.Count(l => l[10] == "true"), mine.Count(r => r.GetProperty("Suppressed").GetBoolean()));
        }
        var august = rows.Single(r => r.GetProperty("Id").GetString() == "2026-08/referrals-received/total/total");
        Assert.Equal(11, Int(august, "Count"));
        // Three red contacts in September: too few to show.
        Assert.True(rows.Single(r => r.GetProperty("Id").GetString() == "2026-09/contacts-received/total/total").GetProperty("Suppressed").GetBoolean());

        // $filter and $select, $count, and $apply as Power BI folds them.
        var (filtered, _) = await FeedAsync("/statistics/odata/Measures?$filter=Period eq '2026-Q3' and Measure eq 'referrals-received' and Breakdown eq 'source-agency'&$select=Category,Count");
        Assert.Equal(("police", 11), (filtered.Single().GetProperty("Category").GetString(), Int(filtered.Single(), "Count")));
        Assert.False(filtered.Single().TryGetProperty("Period", out _));
        using (var count = await _hub.GetAsync("/statistics/odata/Measures/$count?$filter=Suppressed eq true", "demo-la-analyst"))
        {
            Assert.Equal(rows.Count(r => r.GetProperty("Suppressed").GetBoolean()).ToString(System.Globalization.CultureInfo.InvariantCulture), await count.Content.ReadAsStringAsync());
        }
        using (var apply = await _hub.GetAsync("/statistics/odata/Measures?$apply=filter(Breakdown eq 'total' and Grain eq 'month')/groupby((Period),aggregate(Count with sum as Total,$count as Figures))", "demo-la-analyst"))
        {
            var body = await FhirTestHub.JsonAsync(apply);
            Assert.Contains("$metadata#Measures(Period,Total,Figures)", body.GetProperty("@odata.context").GetString(), StringComparison.Ordinal);
            foreach (var group in body.GetProperty("value").EnumerateArray())
            {
                var period = group.GetProperty("Period").GetString();
                var expected = rows.Where(r => r.GetProperty("Period").GetString() == period && r.GetProperty("Breakdown").GetString() == "total").ToList();
                Assert.Equal(expected.Sum(r => Int(r, "Count") ?? 0), group.GetProperty("Total").GetInt32());
                Assert.Equal(expected.Count, group.GetProperty("Figures").GetInt32());
            }
        }

        // Errors in OData's own format; a practitioner is refused.
        using (var bad = await _hub.GetAsync("/statistics/odata/Measures?$filter=Count add 1 eq 2", "demo-la-analyst"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("NotSupported", (await FhirTestHub.JsonAsync(bad)).GetProperty("error").GetProperty("code").GetString());
        }
        using (var unknown = await _hub.GetAsync("/statistics/odata/Measures?$filter=Name eq 'x'", "demo-la-analyst"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
            Assert.Equal("InvalidQuery", (await FhirTestHub.JsonAsync(unknown)).GetProperty("error").GetProperty("code").GetString());
        }
        using (var lcpp = await _hub.GetAsync("/statistics/odata/Measures", "demo-la-lcpp"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, lcpp.StatusCode);
            Assert.Equal("Forbidden", (await FhirTestHub.JsonAsync(lcpp)).GetProperty("error").GetProperty("code").GetString());
        }
    }
}

public sealed class SqliteStatisticsTests() : StatisticsTests(DatabaseEngine.Sqlite);

public sealed class PostgresStatisticsTests() : StatisticsTests(DatabaseEngine.Postgres);
