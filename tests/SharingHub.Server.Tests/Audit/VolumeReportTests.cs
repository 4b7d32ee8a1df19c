using System.Net;
using SharingHub.Data.Storage;
using SharingHub.Server.Audit;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Audit;

/// <summary>The IG officer's volume report counts records and people disclosed, not requests, and judges a day against the same role's (issue 21).</summary>
public sealed class VolumeReportTests
{
    private static readonly DateTimeOffset Monday = new(2026, 10, 5, 10, 0, 0, TimeSpan.Zero);
    private long _sequence;

    private ReportRow Row(string user, string roles, int day, int disclosed, params string[] people) =>
        new(++_sequence, Monday.AddDays(day), "la", user, "front-door-triage", null, "permit", false, "|la|", disclosed, roles,
            "|" + string.Join("|", people) + (people.Length > 0 ? "|" : ""));

    [Fact]
    public void Given_one_request_that_disclosed_a_hundred_records_then_it_is_unusual_although_it_was_one_request()
    {
        var rows = new List<ReportRow>();
        for (var day = 0; day < 4; day++)
        {
            rows.Add(Row("front-door-a", "|front-door|", day, 3, "p1"));
            rows.Add(Row("front-door-b", "|front-door|", day, 4, "p2"));
        }
        rows.Add(Row("front-door-c", "|front-door|", 1, 100, Enumerable.Range(0, 100).Select(i => $"person-{i}").ToArray()));

        var report = AuditReports.Volume(rows);

        var day1 = Assert.Single(report.Unusual);
        Assert.Equal(("front-door-c", 1, 100L, 100), (day1.User, day1.Requests, day1.Records, day1.People));
        Assert.Equal(4L, day1.RoleMedian);
    }

    [Fact]
    public void Given_a_role_whose_work_is_reading_much_then_its_ordinary_day_is_not_unusual_but_the_same_day_by_another_role_is()
    {
        var rows = new List<ReportRow>();
        for (var day = 0; day < 4; day++)
        {
            rows.Add(Row("lcpp-1", "|lcpp|macpt-member|", day, 80, "child"));
            rows.Add(Row("lcpp-2", "|lcpp|macpt-member|", day, 90, "child"));
            rows.Add(Row("school-lead", "|macpt-member|", day, 5, "child"));
            rows.Add(Row("school-lead-2", "|macpt-member|", day, 6, "child"));
        }
        rows.Add(Row("school-lead-3", "|macpt-member|", 2, 85, "child"));

        var report = AuditReports.Volume(rows);

        Assert.Equal(["school-lead-3"], report.Unusual.Select(u => u.User));
        Assert.Equal(90L, report.ByRole.Single(r => r.Roles == "lcpp macpt-member").MedianRecordsPerDay);
    }

    [Fact]
    public void Given_many_small_requests_then_volume_is_judged_by_the_records_they_disclosed_not_their_number()
    {
        var rows = new List<ReportRow>();
        for (var day = 0; day < 3; day++)
        {
            rows.Add(Row("ig-like-reader", "|front-door|", day, 1));
        }
        // Two hundred refused or empty requests in a day disclose nothing: not unusual volume.
        rows.AddRange(Enumerable.Range(0, 200).Select(_ => Row("busy-but-empty", "|front-door|", 1, 0)));

        Assert.Empty(AuditReports.Volume(rows).Unusual);
    }
}

/// <summary>Over the real pipeline: each entry keeps what it disclosed and who asked, and the report sums records per user-day.</summary>
public abstract class VolumeReportHubTests(DatabaseEngine engine) : HubTest(engine)
{
    [Fact]
    public async Task Given_a_chronology_read_then_the_report_counts_its_records_and_the_refused_request_counts_none()
    {
        var c = await Hub.CaseAsync("Volumetest");
        var triage = (await Hub.ReferralAsync(c.LaChild)).Id;
        using var chronology = await Hub.TriageAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-front-door", triage);
        var entries = (await FhirTestHub.JsonAsync(chronology)).GetProperty("entry").GetArrayLength();
        using (var refused = await Hub.GetAsync("/odata/People", "demo-la-front-door", "front-door-triage"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using var report = await Hub.GetAsync("/audit/reports/volume", "demo-la-ig", "audit-review");

        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var frontDoor = (await FhirTestHub.JsonAsync(report)).GetProperty("result").GetProperty("byRole").EnumerateArray()
            .Single(r => r.GetProperty("roles").GetString() == "front-door");
        Assert.True(entries >= 3, $"{entries} entries");
        Assert.Equal(entries, frontDoor.GetProperty("medianRecordsPerDay").GetInt64());
    }
}

public sealed class SqliteVolumeReportHubTests() : VolumeReportHubTests(DatabaseEngine.Sqlite);

public sealed class PostgresVolumeReportHubTests() : VolumeReportHubTests(DatabaseEngine.Postgres);
