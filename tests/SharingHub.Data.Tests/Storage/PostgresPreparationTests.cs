using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Storage;

/// <summary>
/// On PostgreSQL the hub's connections prepare the statements they repeat (issue 27): parsed and planned once per
/// connection, then only bound and run. A prepared statement keeps a plan, never an answer: a change shows on the next read.
/// </summary>
public sealed class PostgresPreparationTests() : DatabaseTest(DatabaseEngine.Postgres)
{
    [Fact]
    public async Task Given_a_case_read_again_on_one_connection_then_its_statement_is_prepared_there_and_a_member_removed_shows_on_the_next_read()
    {
        var store = Services.GetRequiredService<IRecordStore>();
        var opened = new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);
        var id = Guid.NewGuid();
        var enquiry = new Enquiry
        {
            Id = id, OwningAgency = "la", DataClass = Enquiry.DataClassCode, Reference = "S47-PREPARED", LeadPractitioner = "demo-la-lcpp",
            Status = EnquiryStatus.Open, Stage = CaseStage.ChildProtectionPlan, OpenedAt = opened, CreatedAt = opened, UpdatedAt = opened, Version = 1,
        };
        foreach (var agency in new[] { "la", "police" })
        {
            enquiry.Members.Add(new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = id, Agency = agency, UserSubject = $"{agency}-practitioner", Role = agency, AddedAt = opened });
        }
        await store.AddAsync(enquiry, CancellationToken.None);

        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        await db.Database.OpenConnectionAsync();
        Task<Enquiry> Read() => db.Enquiries.AsNoTracking().Include(e => e.Members).SingleAsync(e => e.Id == id);
        async Task<int> PreparedOnThisConnection() => await db.Database
            .SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM pg_prepared_statements WHERE statement LIKE '%FROM \"Enquiries\"%'").SingleAsync();

        Assert.Equal(0, await PreparedOnThisConnection());
        for (var i = 0; i < PostgresPreparation.MinUsages + 1; i++)
        {
            Assert.All((await Read()).Members, m => Assert.Null(m.RemovedAt));
        }
        Assert.True(await PreparedOnThisConnection() >= 1, "the case's read was run three times on one connection and is not prepared there");

        // Another connection removes a member; the prepared read on this one sees it at once.
        var removed = opened.AddDays(3);
        Assert.Equal(UpdateStatus.Updated, (await store.UpdateAsync<Enquiry>(id, 1, e => e.Members.Single(m => m.Agency == "police").RemovedAt = removed, CancellationToken.None)).Status);
        Assert.Equal(removed, (await Read()).Members.Single(m => m.Agency == "police").RemovedAt);
    }

    [Theory]
    [InlineData("Host=db.invalid;Max Auto Prepare=0", 0, PostgresPreparation.MinUsages)]
    [InlineData("Host=db.invalid;maxautoprepare=7;Auto Prepare Min Usages=9", 7, 9)]
    [InlineData("Host=db.invalid", PostgresPreparation.MaxStatements, PostgresPreparation.MinUsages)]
    public void Given_an_operators_connection_string_then_the_preparation_they_named_is_kept_and_the_rest_is_the_hubs(string given, int maxStatements, int minUsages)
    {
        var applied = new NpgsqlConnectionStringBuilder(PostgresPreparation.Apply(given));
        Assert.Equal((maxStatements, minUsages, "db.invalid"), (applied.MaxAutoPrepare, applied.AutoPrepareMinUsages, applied.Host));
    }
}
