using Microsoft.Playwright;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// An information governance officer at work in a real browser: who has seen this child, which entries need review before a
/// subject access disclosure, the exports, and whether the trail is intact. A practitioner is refused all of it.
/// </summary>
public abstract class IgPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    [Fact]
    public async Task Given_a_police_member_read_a_council_childs_case_when_the_councils_ig_officer_asks_who_has_seen_the_child_then_the_page_shows_it_marked_for_review()
    {
        var c = await Hub.CaseAsync();
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        Assert.Equal(200, (await police.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}"))!.Status);

        var ig = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-ig");
        await ig.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await Browser.AssertAccessibleAsync(ig);
        await ig.GetByLabel("Person (who has seen this person)").FillAsync(c.LaChild.Id.ToString());
        await ig.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var rows = await ig.Locator("[data-testid=audit-entry]").AllInnerTextsAsync();
        var seen = Assert.Single(rows, r => r.Contains("demo-police-officer", StringComparison.Ordinal) && r.Contains("page.case", StringComparison.Ordinal));
        Assert.Contains("Section 47 enquiry", seen, StringComparison.Ordinal);
        // Police are a law-enforcement agency: the entry may be exempt from a subject access disclosure, so a person reviews it first.
        Assert.Contains("Review before disclosure", seen, StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(ig);

        // The CSV export carries the same entries, through the same authorisation.
        var csv = await ig.Context.APIRequest.GetAsync($"/work/audit-review/audit/export?subject={c.LaChild.Id}&format=csv");
        Assert.Equal(200, csv.Status);
        Assert.Contains("demo-police-officer", await csv.TextAsync(), StringComparison.Ordinal);

        // A date that is not one is named, and nothing is listed.
        await ig.GetByLabel("From").FillAsync("yesterday");
        await ig.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        Assert.Contains("From must be a date", await ig.Locator(".govuk-error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await ig.Locator("[data-testid=audit-entry]").CountAsync());

        await ig.GotoAsync("/work/audit-review/audit/integrity");
        Assert.Contains("Intact", await ig.Locator("[data-testid=intact]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(ig);

        // The reports, from the audit trail page: the council's records were shared with the police member when asked.
        await ig.GotoAsync("/work/audit-review/audit");
        await ig.GetByRole(AriaRole.Link, new() { Name = "share and decline rates" }).ClickAsync();
        Assert.Contains("Example Borough Council", await ig.Locator("[data-testid=share-rates] tbody").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(ig);
        foreach (var report in new[] { "Break-glass overrides", "Enquiry purposes used outside an open enquiry", "Access out of hours", "Unusual volume" })
        {
            await ig.GetByRole(AriaRole.Link, new() { Name = report }).ClickAsync();
            Assert.Equal(report, await ig.Locator("h1").InnerTextAsync());
            await Browser.AssertAccessibleAsync(ig);
        }
    }

    [Fact]
    public async Task Given_a_practitioner_then_the_audit_pages_and_their_exports_are_refused_with_a_clear_page()
    {
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        foreach (var path in new[] { "/work/audit-review/audit", "/work/audit-review/audit/integrity", "/work/audit-review/audit/export?format=csv" })
        {
            var response = await police.GotoAsync(path);
            Assert.True(response!.Status is 400 or 403, $"{path}: {response.Status}");
            Assert.Equal(0, await police.Locator("[data-testid=audit-entry]").CountAsync());
        }
        await police.GotoAsync("/work/audit-review/audit");
        Assert.Contains("information governance officer", await police.Locator("[data-testid=error-detail]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(police);
    }
}

public sealed class SqliteIgPagesTests() : IgPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresIgPagesTests() : IgPagesTests(DatabaseEngine.Postgres);
