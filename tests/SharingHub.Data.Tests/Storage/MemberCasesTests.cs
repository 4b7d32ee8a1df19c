using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>
/// A practitioner's lists (<c>/me</c>, their cases page) show the open cases they are a current member of, by the decision
/// point's test of membership, and those they lead; nothing else.
/// </summary>
public abstract class MemberCasesTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    protected static readonly DateTimeOffset Now = new(2026, 6, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Given_cases_with_memberships_current_removed_future_and_of_another_agency_then_only_open_cases_with_a_current_membership_are_listed()
    {
        var current = await CaseAsync("current", member: ("police", "officer-1", Now.AddDays(-10), null));
        var endsLater = await CaseAsync("ends-later", member: ("police", "officer-1", Now.AddDays(-10), Now.AddDays(3)));
        await CaseAsync("removed", member: ("police", "officer-1", Now.AddDays(-10), Now.AddDays(-1)));
        await CaseAsync("added-later", member: ("police", "officer-1", Now.AddDays(2), null));
        await CaseAsync("other-agency", member: ("health", "officer-1", Now.AddDays(-10), null));
        await CaseAsync("other-officer", member: ("police", "officer-2", Now.AddDays(-10), null));
        await CaseAsync("closed", member: ("police", "officer-1", Now.AddDays(-10), null), closed: true);
        var led = await CaseAsync("led", member: null, lead: "officer-1", owner: "police");
        await CaseAsync("led-by-namesake", member: null, lead: "officer-1", owner: "la");

        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var members = await db.Enquiries.AsNoTracking().OpenWithMember("police", "officer-1", Now).Select(e => e.Reference).ToListAsync();
        var mine = await db.Enquiries.AsNoTracking().OpenLedOrWithMember("police", "officer-1", Now).Select(e => e.Reference).ToListAsync();

        Assert.Equal(new[] { current, endsLater }.Order(), members.Order());
        Assert.Equal(new[] { current, endsLater, led }.Order(), mine.Order());

        // The same test in memory (the cases page's role of each case) gives the query's answers.
        var open = await db.Enquiries.AsNoTracking().Where(e => e.Status == EnquiryStatus.Open).ToListAsync();
        Assert.Equal(members.Order(), open.Where(e => e.Members.Any(m => m.IsCurrentFor("police", "officer-1", Now))).Select(e => e.Reference).Order());
    }

    /// <summary>A case with one member (or none), led by <paramref name="lead"/> of <paramref name="owner"/>.</summary>
    private async Task<string> CaseAsync(string reference, (string Agency, string User, DateTimeOffset Added, DateTimeOffset? Removed)? member,
        string lead = "lead-1", string owner = "la", bool closed = false)
    {
        var opened = Now.AddDays(-20);
        var e = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = owner, DataClass = Enquiry.DataClassCode, Reference = $"S47-{reference}", LeadPractitioner = lead,
            Status = closed ? EnquiryStatus.Closed : EnquiryStatus.Open, ClosedAt = closed ? Now.AddDays(-1) : null, Stage = CaseStage.Section47,
            OpenedAt = opened, CreatedAt = opened, UpdatedAt = opened, Version = 1,
        };
        if (member is var (agency, user, added, removed))
        {
            e.Members.Add(new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = e.Id, Agency = agency, UserSubject = user, Role = agency, AddedAt = added, RemovedAt = removed });
        }
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        db.Add(e);
        await db.SaveChangesAsync();
        return e.Reference;
    }
}

public sealed class SqliteMemberCasesTests() : MemberCasesTests(DatabaseEngine.Sqlite)
{
    /// <summary>
    /// Each open case's membership test is one search of the membership index by agency, practitioner and case. On an index of
    /// agency and practitioner alone SQLite read every membership the practitioner held for every case: at the demo's 1M events,
    /// where each demo practitioner is a member of all 5,460 cases, <c>/me</c> took 3.5-4.2 s and the cases page 14-19 s.
    /// </summary>
    [Fact]
    public async Task Given_a_practitioners_cases_query_then_sqlite_finds_each_cases_membership_by_agency_practitioner_and_case()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        foreach (var query in new[]
                 {
                     db.Enquiries.AsNoTracking().OpenWithMember("police", "officer-1", Now).OrderByDescending(e => e.OpenedAt).Take(50),
                     db.Enquiries.AsNoTracking().OpenLedOrWithMember("police", "officer-1", Now).OrderBy(e => e.OpenedAt).Take(500),
                 })
        {
            var command = query.CreateDbCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
            await db.Database.OpenConnectionAsync();
            var plan = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    plan.Add(reader.GetString(3));
                }
            }
            var member = Assert.Single(plan, step => step.Contains("EnquiryMembers", StringComparison.Ordinal));
            Assert.Contains("(Agency=? AND UserSubject=? AND EnquiryId=?)", member, StringComparison.Ordinal);
        }
    }
}

public sealed class PostgresMemberCasesTests() : MemberCasesTests(DatabaseEngine.Postgres);
