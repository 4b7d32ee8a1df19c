using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// The case's lead (the LCPP) at work in a real browser: asks police for information, removes a member (whose pages then
/// refuse them), and closes the enquiry with its outcome; each form goes through the API's own handler.
/// </summary>
public abstract class LeadPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    [Fact]
    public async Task Given_the_lead_on_the_case_page_when_they_ask_police_remove_the_school_and_close_the_enquiry_then_each_change_lands_and_access_follows()
    {
        var c = await Hub.CaseAsync();
        var school = await Web.SignInAsync(Hub.BaseUrl, "Education (schools and LA education)", "demo-education-lead");
        var chronology = $"/work/s47-enquiry/cases/{c.Enquiry.Id}/people/{c.LaChild.Id}";
        Assert.Equal(200, (await school.GotoAsync(chronology))!.Status);

        var lead = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-lcpp");
        await lead.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");
        await Browser.AssertAccessibleAsync(lead);

        await lead.GetByLabel("Agency").SelectOptionAsync("police");
        await lead.GetByLabel("Question").FillAsync("Any incidents at the address in the last six months?");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Send the request" }).ClickAsync();
        Assert.EndsWith($"/work/s47-enquiry/cases/{c.Enquiry.Id}", lead.Url, StringComparison.Ordinal);
        await using (var db = Hub.Contexts.Create())
        {
            Assert.Equal("police", (await db.InformationRequests.AsNoTracking().SingleAsync(r => r.EnquiryId == c.Enquiry.Id)).RequestedAgency);
        }

        // A health member from the MACPT directory: they read the child's chronology from now on.
        var health = await Web.SignInAsync(Hub.BaseUrl, "Health (ICB and NHS providers)", "demo-health-practitioner");
        Assert.Equal(403, (await health.GotoAsync(chronology))!.Status);
        await lead.GetByLabel("Person nominated to the MACPT").SelectOptionAsync(new SelectOptionValue { Label = "demo-health-practitioner (health, Northgate Hospitals NHS Foundation Trust)" });
        await lead.GetByRole(AriaRole.Button, new() { Name = "Add to the case" }).ClickAsync();
        Assert.Contains("demo-health-practitioner", await lead.Locator("[data-testid=members]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(200, (await health.GotoAsync(chronology))!.Status);
        await Browser.AssertAccessibleAsync(lead);

        await lead.GetByRole(AriaRole.Button, new() { Name = "Remove demo-education-lead" }).ClickAsync();
        Assert.Contains("left", await lead.Locator("[data-testid=members]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(403, (await school.GotoAsync(chronology))!.Status);
        Assert.DoesNotContain("Home visit by social worker", await school.ContentAsync(), StringComparison.Ordinal);

        // Family group decision making offered at the enquiry's outcome, on the case's record.
        await lead.GetByLabel("Decision point").SelectOptionAsync("enquiry-outcome");
        await lead.GetByLabel("Offered").CheckAsync();
        await lead.GetByRole(AriaRole.Button, new() { Name = "Record", Exact = true }).ClickAsync();
        Assert.Contains("Offered at the enquiry outcome", await lead.Locator("[data-testid=fgdm]").InnerTextAsync(), StringComparison.Ordinal);

        // Closed without an outcome: refused in the handler's words, nothing changed.
        await lead.GetByRole(AriaRole.Button, new() { Name = "Close the enquiry" }).ClickAsync();
        Assert.Contains("Outcome is one of", await lead.Locator("[data-testid=error-detail]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(lead);
        await lead.GoBackAsync();
        await lead.GetByLabel("No further action").CheckAsync();
        await lead.GetByRole(AriaRole.Button, new() { Name = "Close the enquiry" }).ClickAsync();
        // Back to the lead's cases, where a closed case is no longer listed.
        Assert.EndsWith("/work/cases", lead.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(c.Enquiry.Reference, await lead.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        await using (var db = Hub.Contexts.Create())
        {
            Assert.Equal(Core.Records.EnquiryStatus.Closed, (await db.Enquiries.AsNoTracking().SingleAsync(e => e.Id == c.Enquiry.Id)).Status);
        }
    }

    [Fact]
    public async Task Given_an_enquiry_that_needs_a_conference_when_the_lead_records_a_plan_on_the_page_then_the_core_group_works_under_the_plan_and_others_leave()
    {
        var c = await Hub.CaseAsync();
        var lead = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-lcpp");
        await lead.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");
        await lead.GetByLabel("An initial child protection conference is needed (members keep access until it decides)").CheckAsync();
        await lead.GetByRole(AriaRole.Button, new() { Name = "Close the enquiry" }).ClickAsync();
        await lead.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");
        Assert.Equal("Awaiting initial conference", await lead.Locator(".govuk-caption-l").First.InnerTextAsync());
        await Browser.AssertAccessibleAsync(lead);

        var held = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(-1), TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));
        await lead.GetByLabel("Date", new() { Exact = true }).FillAsync(held.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await lead.GetByLabel("Time", new() { Exact = true }).FillAsync(held.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await lead.Locator("#invited-police").CheckAsync();
        await lead.Locator("#attended-police").CheckAsync();
        await lead.Locator("#report-police").CheckAsync();
        await lead.Locator("#invited-education").CheckAsync();
        await lead.GetByLabel("A child protection plan").CheckAsync();
        await lead.GetByLabel("Category of abuse (for a plan)").SelectOptionAsync("neglect");
        await lead.GetByLabel("demo-police-officer (Police)").CheckAsync();
        await lead.GetByRole(AriaRole.Button, new() { Name = "Record the conference" }).ClickAsync();

        Assert.Contains($"/work/child-protection-plan/cases/{c.Enquiry.Id}", lead.Url, StringComparison.Ordinal);
        Assert.Equal("Child protection plan", await lead.Locator(".govuk-caption-l").First.InnerTextAsync());
        Assert.Contains("First core group meeting", await lead.Locator("[data-testid=due]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(lead);
        // The core group meets: the next thing due is the review.
        await lead.Locator("#coreheldDate").FillAsync(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddMinutes(-10), TimeZoneInfo.FindSystemTimeZoneById("Europe/London"))
            .ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await lead.Locator("#coreheldTime").FillAsync(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddMinutes(-10), TimeZoneInfo.FindSystemTimeZoneById("Europe/London"))
            .ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await lead.GetByRole(AriaRole.Button, new() { Name = "Record the core group meeting" }).ClickAsync();
        Assert.DoesNotContain("First core group meeting", await lead.Locator("[data-testid=due]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Review conference", await lead.Locator("[data-testid=due]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(lead);

        var school = await Web.SignInAsync(Hub.BaseUrl, "Education (schools and LA education)", "demo-education-lead");
        Assert.Equal(403, (await school.GotoAsync($"/work/child-protection-plan/cases/{c.Enquiry.Id}/people/{c.LaChild.Id}"))!.Status);
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        Assert.Equal(200, (await police.GotoAsync($"/work/child-protection-plan/cases/{c.Enquiry.Id}/people/{c.LaChild.Id}"))!.Status);
    }

    [Fact]
    public async Task Given_an_open_case_whose_conference_is_overdue_when_the_lcpp_opens_oversight_then_it_is_first_and_marked_and_a_member_may_not_open_it()
    {
        var c = await Hub.CaseAsync();
        await using (var db = Hub.Contexts.Create())
        {
            var e = await db.Enquiries.SingleAsync(x => x.Id == c.Enquiry.Id);
            e.ConferenceDueBy = DateTimeOffset.UtcNow.AddDays(-2);
            e.Stage = Core.Records.CaseStage.Section47;
            await db.SaveChangesAsync();
        }
        var lcpp = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-lcpp");
        await lcpp.GetByRole(AriaRole.Link, new() { Name = "Oversight" }).ClickAsync();
        var row = lcpp.Locator("[data-testid=case]").First;
        Assert.Contains(c.Enquiry.Reference, await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Initial child protection conference", await row.Locator("[data-testid=overdue]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Mia", await lcpp.Locator("[data-testid=oversight]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(lcpp);

        // A police member of the case oversees nothing: no link, and the page refuses them.
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        Assert.Equal(0, await police.GetByRole(AriaRole.Link, new() { Name = "Oversight" }).CountAsync());
        var refused = await police.GotoAsync("/work/oversight");
        Assert.Equal(403, refused!.Status);
        Assert.Equal(0, await police.Locator("[data-testid=oversight]").CountAsync());
        await Browser.AssertAccessibleAsync(police);
    }

    [Fact]
    public async Task Given_a_section_47_enquiry_when_the_lcpp_records_police_protection_and_hands_over_the_lead_on_the_page_then_the_case_shows_it_and_the_new_lead_has_it()
    {
        var c = await Hub.CaseAsync();
        var lcpp = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-lcpp");
        await lcpp.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");

        // Refused first (nothing chosen), in the handler's own words; then recorded.
        await lcpp.GetByRole(AriaRole.Button, new() { Name = "Record the emergency action" }).ClickAsync();
        Assert.Contains("emergencyProtectionOrder or policeProtection", await lcpp.ContentAsync(), StringComparison.Ordinal);
        await lcpp.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");
        await lcpp.GetByLabel("Police protection").CheckAsync();
        var started = DateTimeOffset.UtcNow.AddHours(-3);
        var local = TimeZoneInfo.ConvertTime(started, SharingHub.Server.Pages.PageText.London);
        await lcpp.Locator("#emergency-heldDate").FillAsync(local.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await lcpp.Locator("#emergency-heldTime").FillAsync(local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await lcpp.GetByLabel("Acting: police or the council").SelectOptionAsync("police");
        await lcpp.GetByLabel("Who acted").FillAsync("PC 99 Khan");
        await lcpp.GetByRole(AriaRole.Button, new() { Name = "Record the emergency action" }).ClickAsync();
        Assert.Contains("Emergency action", await lcpp.Locator(".govuk-summary-list").First.InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(lcpp);
        await using (var db = Hub.Contexts.Create())
        {
            var e = await db.Enquiries.AsNoTracking().SingleAsync(x => x.Id == c.Enquiry.Id);
            var action = Assert.Single(e.EmergencyActions);
            Assert.Equal((Core.Records.EmergencyActionKind.PoliceProtection, "police", "PC 99 Khan"), (action.Kind, action.ActingAgency, action.ActedBy));
            Assert.Equal(Core.Records.EnquiryStatus.Open, e.Status);
        }

        // The lead goes on leave: the chair takes the case; the former lead leaves it and is back at their cases.
        await lcpp.GetByLabel("New lead child protection practitioner").SelectOptionAsync("demo-la-chair");
        await lcpp.GetByRole(AriaRole.Button, new() { Name = "Hand over the lead" }).ClickAsync();
        Assert.EndsWith("/work/cases", lcpp.Url, StringComparison.Ordinal);
        await using (var db = Hub.Contexts.Create())
        {
            var e = await db.Enquiries.AsNoTracking().SingleAsync(x => x.Id == c.Enquiry.Id);
            Assert.Equal("demo-la-chair", e.LeadPractitioner);
            Assert.NotNull(e.Members.Single(m => m.UserSubject == "demo-la-lcpp").RemovedAt);
        }
        var chair = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-chair");
        await chair.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");
        Assert.Equal(1, await chair.GetByRole(AriaRole.Button, new() { Name = "Hand over the lead" }).CountAsync());
        await Browser.AssertAccessibleAsync(chair);
    }

    [Fact]
    public async Task Given_a_child_on_a_plan_when_the_lead_records_pre_proceedings_on_the_page_then_fgdm_is_offered_at_that_point_and_the_form_is_gone()
    {
        var c = await Hub.CaseAsync();
        await using (var db = Hub.Contexts.Create())
        {
            var e = await db.Enquiries.SingleAsync(x => x.Id == c.Enquiry.Id);
            e.Stage = Core.Records.CaseStage.ChildProtectionPlan;
            e.PlanStartedAt = DateTimeOffset.UtcNow.AddDays(-40);
            e.PlanCategory = "neglect";
            await db.SaveChangesAsync();
        }
        var lcpp = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-lcpp");
        await lcpp.GotoAsync($"/work/child-protection-plan/cases/{c.Enquiry.Id}");
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(-1), SharingHub.Server.Pages.PageText.London);
        await lcpp.Locator("#pre-heldDate").FillAsync(local.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await lcpp.Locator("#pre-heldTime").FillAsync(local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await lcpp.Locator("#pre-fgdm-offered").CheckAsync();
        await lcpp.GetByRole(AriaRole.Button, new() { Name = "Record pre-proceedings" }).ClickAsync();
        Assert.Equal(0, await lcpp.GetByRole(AriaRole.Button, new() { Name = "Record pre-proceedings" }).CountAsync());
        await Browser.AssertAccessibleAsync(lcpp);
        await using (var db = Hub.Contexts.Create())
        {
            var e = await db.Enquiries.AsNoTracking().SingleAsync(x => x.Id == c.Enquiry.Id);
            Assert.NotNull(e.PreProceedingsAt);
            Assert.Contains(e.Fgdm, f => f.DecisionPoint == "pre-proceedings" && f.Status == Core.Records.FgdmStatus.Offered);
        }
    }
}

public sealed class SqliteLeadPagesTests() : LeadPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresLeadPagesTests() : LeadPagesTests(DatabaseEngine.Postgres);
