using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// MACPT members at work in a real browser (Chromium): sign in at their agency's identity provider, find their case, choose
/// why they open it, read the child's merged chronology. Each page shows what the API gives the same person for the same
/// purpose, passes axe-core, and is refused with a clear page (and an audit entry) outside the person's case or purposes.
/// </summary>
public abstract class MacptPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    /// <summary>The summaries the FHIR chronology gives this person for this purpose and case: what the page must show, no more.</summary>
    private async Task<List<string>> ApiSummariesAsync(Guid person, string user, Guid enquiry)
    {
        using var response = await Hub.GetAsync($"/fhir/Patient/{person}/$chronology", user, "s47-enquiry", enquiry);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = await FhirTestHub.JsonAsync(response);
        return bundle.TryGetProperty("entry", out var entries)
            ? entries.EnumerateArray().Select(e => e.GetProperty("resource")).Where(r => r.GetProperty("resourceType").GetString() == "Observation")
                .Select(r => r.TryGetProperty("valueString", out var v) ? v.GetString()! : "").Where(s => s.Length > 0).Order(StringComparer.Ordinal).ToList()
            : [];
    }

    private static async Task<List<string>> PageSummariesAsync(IPage page) =>
        (await page.Locator("[data-testid=entry] td:nth-child(4) > span").AllInnerTextsAsync()).Select(s => s.Trim()).Where(s => s.Length > 0)
            .Where(s => !s.StartsWith("Open", StringComparison.Ordinal) && !s.StartsWith("In force", StringComparison.Ordinal) && !s.StartsWith("Ended", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>From the landing page to a child's chronology, by clicking as a person would.</summary>
    private static async Task OpenChronologyAsync(IPage page, string reference, string child)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Your cases" }).First.ClickAsync();
        await Browser.AssertAccessibleAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = reference }).ClickAsync();
        await Browser.AssertAccessibleAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Section 47 enquiry by the Multi-Agency Child Protection Team" }).ClickAsync();
        await Browser.AssertAccessibleAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = child }).ClickAsync();
        await page.WaitForSelectorAsync("h1");
        await Browser.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task Given_two_members_from_different_agencies_when_each_opens_the_childs_chronology_then_each_page_shows_what_the_api_gives_them_and_they_differ()
    {
        var c = await Hub.CaseAsync();
        // Police intelligence about the child is shared with no other agency's member (the rules differ by agency).
        await Hub.Store.AddAsync(Hub.Builder.Event(c.PoliceChild, "police", "Intelligence: an adult in the household is linked to exploitation",
            new DateTimeOffset(2026, 9, 15, 9, 0, 0, TimeSpan.Zero), "NICHE-INT-1", "police.intelligence", "Graded intelligence", "intelligence"), CancellationToken.None);
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        await Browser.AssertAccessibleAsync(police);
        var school = await Web.SignInAsync(Hub.BaseUrl, "Education (schools and LA education)", "demo-education-lead");

        await OpenChronologyAsync(police, c.Enquiry.Reference, "Mia Fhirtest");
        await OpenChronologyAsync(school, c.Enquiry.Reference, "Mia Fhirtest");

        Assert.Equal("Chronology of Mia Fhirtest", await police.Locator("h1").InnerTextAsync());
        Assert.Contains("Section 47 enquiry by the Multi-Agency Child Protection Team", await police.Locator("[data-testid=purpose]").InnerTextAsync(), StringComparison.Ordinal);
        var policeSees = await PageSummariesAsync(police);
        var schoolSees = await PageSummariesAsync(school);
        Assert.Equal(await ApiSummariesAsync(c.LaChild.Id, "demo-police-officer", c.Enquiry.Id), policeSees);
        Assert.Equal(await ApiSummariesAsync(c.LaChild.Id, "demo-education-lead", c.Enquiry.Id), schoolSees);
        Assert.Contains("Officers attended a report of shouting", policeSees);
        Assert.Contains("Intelligence: an adult in the household is linked to exploitation", policeSees);
        Assert.DoesNotContain("Intelligence: an adult in the household is linked to exploitation", schoolSees);
        // Nothing on the school's page hints at what the rules hide from it.
        Assert.DoesNotContain("ntelligence", await school.ContentAsync(), StringComparison.Ordinal);

        // Filters narrow the same decided chronology: the police incident's date only.
        await police.GetByText("Filter the chronology").ClickAsync();
        await police.GetByLabel("From date").FillAsync("2026-09-11");
        await police.GetByLabel("To date").FillAsync("2026-09-11");
        await police.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        Assert.Equal(["Officers attended a report of shouting"], await PageSummariesAsync(police));
        await Browser.AssertAccessibleAsync(police);

        // A date that is not one is named in an error summary, and nothing is shown.
        await police.GetByLabel("From date").FillAsync("next tuesday");
        await police.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        Assert.StartsWith("Error:", await police.TitleAsync(), StringComparison.Ordinal);
        Assert.Contains("From must be a date", await police.Locator(".govuk-error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await police.Locator("[data-testid=entry]").CountAsync());
        await Browser.AssertAccessibleAsync(police);
    }

    [Fact]
    public async Task Given_a_page_outside_the_persons_case_or_purposes_then_it_is_refused_with_a_clear_page_no_data_and_an_audit_entry()
    {
        var c = await Hub.CaseAsync();
        var probation = await Web.SignInAsync(Hub.BaseUrl, "Probation Service", "demo-probation-officer");
        var chronology = $"/work/s47-enquiry/cases/{c.Enquiry.Id}/people/{c.LaChild.Id}";

        // Not a member of the case.
        var response = await probation.GotoAsync(chronology);
        Assert.Equal(403, response!.Status);
        Assert.Contains("not a current member", await probation.Locator("[data-testid=error-detail]").InnerTextAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Fhirtest", await probation.ContentAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(probation);
        // Listing the case's purposes is refused the same way: nothing says the case exists.
        response = await probation.GotoAsync($"/work/cases/{c.Enquiry.Id}");
        Assert.Equal(404, response!.Status);

        // A member, under a purpose they may not use, or one the case's stage does not serve.
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        response = await police.GotoAsync($"/work/audit-review/cases/{c.Enquiry.Id}");
        Assert.Equal(400, response!.Status);
        Assert.Contains("not a purpose of use you may work under", await police.Locator("[data-testid=error-detail]").InnerTextAsync(), StringComparison.Ordinal);
        response = await police.GotoAsync($"/work/child-protection-plan/cases/{c.Enquiry.Id}");
        Assert.NotEqual(200, response!.Status);
        Assert.DoesNotContain("Fhirtest", await police.ContentAsync(), StringComparison.Ordinal);

        // An address that is no page: a page saying so.
        response = await police.GotoAsync($"/work/s47-enquiry/cases/not-a-case");
        Assert.Equal(404, response!.Status);
        Assert.Equal("Page not found", await police.Locator("h1").InnerTextAsync());

        // No session: to the sign-in page, with nothing of the case.
        var stranger = await Web.AnonymousAsync(Hub.BaseUrl);
        await stranger.GotoAsync(chronology);
        Assert.Contains("Sign in to SharingHub", await stranger.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(stranger);

        // Each refusal is in the audit trail, as the API's are: who, which page, which purpose, refused.
        await using var db = Hub.Contexts.Create();
        var refused = await db.AuditEntries.AsNoTracking().Where(a => a.Action.StartsWith("page.") && a.Outcome != "success").ToListAsync();
        Assert.Contains(refused, a => a.Actor == "demo-probation-officer" && a.Action == "page.chronology" && a.Purpose == "s47-enquiry");
        Assert.Contains(refused, a => a.Actor == "demo-police-officer" && a.Action == "page.case");
    }

    [Fact]
    public async Task Given_a_member_using_only_the_keyboard_then_they_reach_the_childs_chronology_and_filter_it()
    {
        var c = await Hub.CaseAsync();
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");

        await Browser.KeyboardActivateAsync(police, "Your cases");
        await Browser.ArriveAsync(police, url => new Uri(url).AbsolutePath.EndsWith("/work/cases", StringComparison.Ordinal));
        await Browser.KeyboardActivateAsync(police, c.Enquiry.Reference);
        await Browser.ArriveAsync(police, url => new Uri(url).AbsolutePath.EndsWith($"/work/cases/{c.Enquiry.Id}", StringComparison.Ordinal));
        await Browser.KeyboardActivateAsync(police, "Section 47 enquiry by the Multi-Agency Child Protection Team");
        await Browser.ArriveAsync(police, url => new Uri(url).AbsolutePath.EndsWith($"/work/s47-enquiry/cases/{c.Enquiry.Id}", StringComparison.Ordinal));
        await Browser.KeyboardActivateAsync(police, "Mia Fhirtest");
        await Browser.ArriveAsync(police, url => new Uri(url).AbsolutePath.EndsWith($"/people/{c.LaChild.Id}", StringComparison.Ordinal));
        Assert.Equal("Chronology of Mia Fhirtest", await police.Locator("h1").InnerTextAsync());

        await Browser.KeyboardActivateAsync(police, "Filter the chronology", navigates: false);
        await Browser.KeyboardActivateAsync(police, "Police", navigates: false);
        await Browser.KeyboardActivateAsync(police, "Apply filters");
        await Browser.ArriveAsync(police, url => url.Contains("agency=police", StringComparison.Ordinal));
        Assert.All(await police.Locator("[data-testid=entry] td:nth-child(2)").AllInnerTextsAsync(), agency => Assert.Equal("Police", agency));
    }

    [Fact]
    public async Task Given_a_page_that_shows_a_child_then_theWeb_is_told_not_to_keep_it_and_no_script_may_run()
    {
        var c = await Hub.CaseAsync();
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        var response = await police.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");
        Assert.Equal(200, response!.Status);
        var headers = await response.AllHeadersAsync();
        Assert.Contains("no-store", headers["cache-control"], StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("Mia Fhirtest", await police.Locator("[data-testid=subjects] a").InnerTextAsync());
        // The page view is one audit entry with the same detail as the API's: the case and the child's record disclosed under the purpose.
        await using var db = Hub.Contexts.Create();
        var entry = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "page.case" && a.Actor == "demo-police-officer").SingleAsync();
        Assert.Equal(("s47-enquiry", c.Enquiry.Id, "success"), (entry.Purpose, entry.EnquiryId, entry.Outcome));
        Assert.Equal(2, entry.Disclosed);
        Assert.Contains(c.LaChild.Id.ToString(), entry.Subjects, StringComparison.Ordinal);
    }
}

public sealed class SqliteMacptPagesTests() : MacptPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresMacptPagesTests() : MacptPagesTests(DatabaseEngine.Postgres);
