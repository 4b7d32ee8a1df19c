using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>
/// A case that has run for a while (8 members, 3 children, 4 conferences, 20 core group meetings) is read and changed whole, and no
/// query returns the product of its parts (8 x 3 x 4 x 20 = 1,920 rows for one case, as one joined query did).
/// </summary>
public abstract class CaseReadTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private const int Members = 8, Children = 3, Conferences = 4, CoreGroups = 20;

    [Fact]
    public async Task Given_a_case_with_many_parts_when_it_is_read_listed_and_changed_then_every_part_comes_back_once_and_no_query_returns_their_product()
    {
        var id = await CaseAsync();
        var rows = new RowsRead();
        await using var services = await Database.StartServicesAsync(interceptor: rows);
        var store = services.GetRequiredService<IRecordStore>();
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();

        var found = await store.FindAsync<Enquiry>(id, CancellationToken.None);
        var listed = await db.Enquiries.AsNoTracking().Where(e => e.Status == EnquiryStatus.Open).OrderBy(e => e.OpenedAt).Take(50).ToListAsync();
        var changed = await store.UpdateAsync<Enquiry>(id, 1, e => e.Members.Add(new EnquiryMember
        {
            Id = Guid.NewGuid(), EnquiryId = id, Agency = "health", UserSubject = "demo-health-practitioner", Role = "health", AddedAt = DateTimeOffset.UtcNow,
        }), CancellationToken.None);

        foreach (var e in new[] { found!, Assert.Single(listed) })
        {
            Assert.Equal((Members, Children, Conferences, CoreGroups), (e.Members.Count, e.Subjects.Count, e.Conferences.Count, e.CoreGroupMeetings.Count));
        }
        Assert.Equal(UpdateStatus.Updated, changed.Status);
        var reread = await store.FindAsync<Enquiry>(id, CancellationToken.None);
        Assert.Equal((Members + 1, Children, Conferences, CoreGroups), (reread!.Members.Count, reread.Subjects.Count, reread.Conferences.Count, reread.CoreGroupMeetings.Count));
        Assert.NotEmpty(rows.Counts);
        Assert.True(rows.Counts.Max() <= CoreGroups + 1, $"rows per query: {string.Join(", ", rows.Counts)}");
    }

    [Fact]
    public async Task Given_a_case_when_its_facts_are_read_by_the_prepared_statements_then_they_are_what_EF_reads_and_a_change_shows_on_the_next_read()
    {
        var reads = Services.GetRequiredService<CaseReads>();
        if (!reads.Prepared)
        {
            // PostgreSQL reads the case with its EF query (the round trip is its cost); nothing is prepared to compare.
            Assert.Equal(DatabaseEngine.Postgres, Engine);
            return;
        }
        var id = await CaseAsync();
        var store = Services.GetRequiredService<IRecordStore>();

        async Task SameAsEf()
        {
            var facts = await reads.ReadAsync(id, CancellationToken.None);
            var ef = await store.FindAsync<Enquiry>(id, CancellationToken.None);
            Assert.NotNull(facts);
            Assert.Equal((ef!.Id, ef.Reference, ef.ClosedAt, ef.Stage), (facts.Id, facts.Reference, facts.ClosedAt, facts.Stage));
            Assert.Equal(ef.Subjects.Select(x => x.PersonId).Order(), facts.Subjects.Order());
            Assert.Equal(ef.Members.Select(m => (m.Agency, m.UserSubject, m.AddedAt, m.RemovedAt)).Order(),
                facts.Members.Select(m => (m.Agency, m.UserSubject, m.AddedAt, m.RemovedAt)).Order());
        }
        await SameAsEf();

        // A member removed and the case closed (times to the tick) are read on the same prepared statements next time.
        var removed = new DateTimeOffset(2026, 3, 1, 10, 30, 0, TimeSpan.Zero).AddTicks(4567);
        var changed = await store.UpdateAsync<Enquiry>(id, 1, e =>
        {
            e.Members[2].RemovedAt = removed;
            e.ClosedAt = removed.AddHours(1);
            e.Stage = CaseStage.AwaitingConference;
        }, CancellationToken.None);
        Assert.Equal(UpdateStatus.Updated, changed.Status);
        await SameAsEf();
        var now = await reads.ReadAsync(id, CancellationToken.None);
        Assert.Equal(removed.AddHours(1), now!.ClosedAt);
        Assert.Equal(CaseStage.AwaitingConference, now.Stage);
        Assert.Single(now.Members, m => m.RemovedAt == removed);

        // No such case: nothing, not an error; and many readers at once each get the whole case.
        Assert.Null(await reads.ReadAsync(Guid.NewGuid(), CancellationToken.None));
        var all = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => Task.Run(() => reads.ReadAsync(id, CancellationToken.None))));
        Assert.All(all, f => Assert.Equal((Members, Children), (f!.Members.Count, f.Subjects.Count)));
    }

    [Fact]
    public async Task Given_someone_listening_to_the_hubs_spans_when_a_case_is_read_on_the_prepared_statements_then_one_statement_span_is_reported_and_it_carries_nothing_about_the_case()
    {
        var reads = Services.GetRequiredService<CaseReads>();
        if (!reads.Prepared)
        {
            Assert.Equal(DatabaseEngine.Postgres, Engine);
            return;
        }
        var id = await CaseAsync();
        using var spans = new HubSpans();
        var seen = spans.Seen;

        string requestId;
        using (var request = Core.Telemetry.HubDiagnostics.Source.StartActivity("test.request"))
        {
            requestId = request!.Id!;
            Assert.NotNull(await reads.ReadAsync(id, CancellationToken.None));
        }

        // The benchmark's profiler counts this span as a database command (the read is not EF's, so EF's interceptors miss it).
        // Only this read's spans: tests running beside this one report theirs to the same listener.
        var span = Assert.Single(seen, a => a.ParentId == requestId);
        Assert.Equal(Core.Telemetry.HubDiagnostics.PreparedStatement, span.OperationName);
        Assert.True(span.Duration > TimeSpan.Zero);
        Assert.Empty(span.TagObjects);
        Assert.Empty(span.Baggage);
    }

    private async Task<Guid> CaseAsync()
    {
        var build = new RecordBuilder(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>());
        var store = Services.GetRequiredService<IRecordStore>();
        var opened = new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);
        var e = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = Enquiry.DataClassCode, Reference = "S47-PARTS", LeadPractitioner = "demo-la-lcpp",
            Status = EnquiryStatus.Open, Stage = CaseStage.ChildProtectionPlan, OpenedAt = opened, CreatedAt = opened, UpdatedAt = opened, Version = 1,
        };
        for (var i = 0; i < Children; i++)
        {
            var child = await store.AddAsync(build.Person(), CancellationToken.None);
            e.Subjects.Add(new EnquirySubject { EnquiryId = e.Id, PersonId = child.Id, Role = "child" });
        }
        string[] agencies = ["la", "police", "health", "education"];
        for (var i = 0; i < Members; i++)
        {
            e.Members.Add(new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = e.Id, Agency = agencies[i % 4], UserSubject = $"practitioner-{i}", Role = agencies[i % 4], AddedAt = opened });
        }
        for (var i = 0; i < Conferences; i++)
        {
            var held = opened.AddMonths(6 * i);
            e.Conferences.Add(new CaseConference
            {
                Id = Guid.NewGuid(), EnquiryId = e.Id, Kind = i == 0 ? ConferenceKind.Initial : ConferenceKind.Review, HeldAt = held, RecordedAt = held,
                Decision = "plan", Attendance = ["la", "police", "health"],
            });
        }
        for (var i = 0; i < CoreGroups; i++)
        {
            var held = opened.AddDays(14 + 42 * i);
            e.CoreGroupMeetings.Add(new CoreGroupMeeting { Id = Guid.NewGuid(), EnquiryId = e.Id, HeldAt = held, RecordedAt = held });
        }
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        db.Add(e);
        await db.SaveChangesAsync();
        return e.Id;
    }

    /// <summary>The rows each query about cases read (EF's count as each reader closes).</summary>
    private sealed class RowsRead : DbCommandInterceptor
    {
        public System.Collections.Concurrent.ConcurrentQueue<int> Counts { get; } = new();

        public override InterceptionResult DataReaderClosing(System.Data.Common.DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
        {
            Count(command, eventData);
            return result;
        }

        public override ValueTask<InterceptionResult> DataReaderClosingAsync(System.Data.Common.DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
        {
            Count(command, eventData);
            return ValueTask.FromResult(result);
        }

        private void Count(System.Data.Common.DbCommand command, DataReaderClosingEventData eventData)
        {
            if (command.CommandText.Contains("Enquir", StringComparison.Ordinal))
            {
                Counts.Enqueue(eventData.ReadCount);
            }
        }
    }
}

public sealed class SqliteCaseReadTests() : CaseReadTests(DatabaseEngine.Sqlite);

public sealed class PostgresCaseReadTests() : CaseReadTests(DatabaseEngine.Postgres);
