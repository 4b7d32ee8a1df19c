using System.Net;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>
/// A read by id finds the row by its key and tests, in memory, whether any rule could share the record's agency and data
/// class with the caller for the purpose (a search narrows the same way in the database); what passes is then decided.
/// A record no rule reaches is absent to every read by its id: the read (FHIR or OData), its history and its provenance answer as for an
/// id that does not exist, and nothing of it is shown.
/// </summary>
public abstract class ReachableReadTests(DatabaseEngine engine) : HubTest(engine)
{
    [Fact]
    public async Task Given_a_case_members_record_of_a_class_no_rule_shares_then_reading_it_by_id_answers_as_for_no_record()
    {
        var c = await Hub.CaseAsync("Unreachable");
        var shared = await Hub.Store.AddAsync(Hub.Builder.Event(c.PoliceChild, summary: "Officers attended; shared with the enquiry"), CancellationToken.None);
        var unshared = await Hub.Store.AddAsync(Hub.Builder.Event(c.PoliceChild, summary: "A note of a class no rule names",
            dataClass: "police.no-rule-names-this"), CancellationToken.None);

        using var sharedRead = await Hub.GetAsync($"/fhir/Observation/{shared.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var read = await Hub.GetAsync($"/fhir/Observation/{unshared.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var history = await Hub.GetAsync($"/fhir/Observation/{unshared.Id}/_history", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var missing = await Hub.GetAsync($"/fhir/Observation/{Guid.NewGuid()}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var provenance = await Hub.GetAsync($"/fhir/Provenance?target=Observation/{unshared.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var odata = await Hub.GetAsync($"/odata/Events({unshared.Id})", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var odataShared = await Hub.GetAsync($"/odata/Events({shared.Id})", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.OK, sharedRead.StatusCode);
        Assert.Contains("Officers attended; shared with the enquiry", await sharedRead.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, history.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, provenance.StatusCode);
        Assert.Equal(HttpStatusCode.OK, odataShared.StatusCode);
        Assert.Contains("Officers attended; shared with the enquiry", await odataShared.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, odata.StatusCode);
        Assert.DoesNotContain("no rule names", await odata.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var response in new[] { read, history, provenance })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("no rule names", body, StringComparison.Ordinal);
            Assert.DoesNotContain("\"entry\"", body, StringComparison.Ordinal);
        }
        // The refusal says what a missing id's does, so nobody learns that the record exists.
        var missingId = missing.RequestMessage!.RequestUri!.AbsolutePath.Split('/')[^1];
        Assert.Equal((await missing.Content.ReadAsStringAsync()).Replace(missingId, "ID", StringComparison.Ordinal),
            (await read.Content.ReadAsStringAsync()).Replace(unshared.Id.ToString(), "ID", StringComparison.Ordinal));
    }

    /// <summary>
    /// A chronology's limit (more entries than it decides on is refused, asking to be narrowed) counts only what some rule
    /// could share with the caller: a child with more records of a class no rule shares than the limit still has a chronology
    /// of what is shared, and nothing of the rest. Any way of reading the rows (the pairs in SQL, or in memory) must keep this.
    /// </summary>
    [Fact]
    public async Task Given_a_child_with_more_records_no_rule_shares_than_a_chronology_holds_then_the_chronology_shows_what_is_shared_and_is_refused_only_past_that()
    {
        var c = await Hub.CaseAsync("Crowded");
        await Hub.Store.AddAsync(Hub.Builder.Event(c.PoliceChild, summary: "Officers attended; shared with the enquiry"), CancellationToken.None);
        await AddEventsAsync(c.PoliceChild, SharingHub.Server.Fhir.Chronology.MaxEntries + 1, "A note of a class no rule names", "police.no-rule-names-this");

        using var chronology = await Hub.GetAsync($"/fhir/Patient/{c.PoliceChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var body = await chronology.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, chronology.StatusCode);
        Assert.Contains("Officers attended; shared with the enquiry", body, StringComparison.Ordinal);
        Assert.DoesNotContain("no rule names", body, StringComparison.Ordinal);

        // Past the limit of what the caller could see, the chronology is refused and asks to be narrowed.
        await AddEventsAsync(c.PoliceChild, SharingHub.Server.Fhir.Chronology.MaxEntries, "Another shared incident", null);
        using var tooMany = await Hub.GetAsync($"/fhir/Patient/{c.PoliceChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("narrow it", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task AddEventsAsync(Core.Records.Person subject, int count, string summary, string? dataClass)
    {
        await using var db = Hub.Contexts.Create();
        var at = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        db.Events.AddRange(Enumerable.Range(0, count).Select(i => Hub.Builder.Event(subject, summary: summary, dataClass: dataClass, occurredAt: at.AddMinutes(i))));
        await db.SaveChangesAsync();
    }
}

public sealed class SqliteReachableReadTests() : ReachableReadTests(DatabaseEngine.Sqlite);

public sealed class PostgresReachableReadTests() : ReachableReadTests(DatabaseEngine.Postgres);
