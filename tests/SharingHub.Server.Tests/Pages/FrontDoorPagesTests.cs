using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// The Integrated Front Door in a real browser: the council's front door finds a police referral in its worklist with its
/// deadline, opens it (the concern, under front-door-triage bound to this referral), decides it; the police front door sees
/// the outcome of what it referred.
/// </summary>
public abstract class FrontDoorPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    [Fact]
    public async Task Given_a_police_referral_when_the_council_front_door_decides_it_on_the_page_then_the_referrer_sees_the_outcome()
    {
        var c = await Hub.CaseAsync();
        var referral = await Hub.ReferralAsync(c.PoliceChild);
        var frontDoor = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-front-door");

        await frontDoor.GetByRole(AriaRole.Link, new() { Name = "Referrals" }).ClickAsync();
        var row = frontDoor.Locator("[data-testid=referral]").Filter(new() { HasText = "Police" });
        Assert.Contains("Not decided yet", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Amber", await row.InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(frontDoor);
        await row.GetByRole(AriaRole.Link).ClickAsync();
        Assert.Equal("Bruising seen at school", await frontDoor.Locator("[data-testid=concern]").InnerTextAsync());
        await Browser.AssertAccessibleAsync(frontDoor);

        // To decide, the front door reads what the agencies hold about the child, under triage bound to this referral.
        await frontDoor.GetByRole(AriaRole.Link, new() { Name = "What the agencies hold about this child" }).ClickAsync();
        Assert.StartsWith("Chronology of", await frontDoor.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Officers attended a report of shouting", await frontDoor.Locator("[data-testid=chronology]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(frontDoor);
        await frontDoor.GetByRole(AriaRole.Link, new() { Name = "Back to the referral" }).ClickAsync();

        await frontDoor.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).ClickAsync();
        Assert.Contains("Choose the front door's decision", await frontDoor.Locator(".govuk-error-summary").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(frontDoor);
        await frontDoor.GetByLabel("Family Help").CheckAsync();
        await frontDoor.GetByLabel("Why (the decision's rationale)").FillAsync("Parents asked for help; no sign of harm at the medical");
        await frontDoor.GetByLabel("Manager who signed it off (optional)").FillAsync("M. Patel, team manager");
        await frontDoor.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).ClickAsync();
        Assert.Contains("Family Help", await frontDoor.Locator("[data-testid=done]").InnerTextAsync(), StringComparison.Ordinal);
        await using (var db = Hub.Contexts.Create())
        {
            Assert.Equal(Core.Records.ReferralDecision.FamilyHelp, (await db.Referrals.AsNoTracking().SingleAsync(r => r.Id == referral.Id)).Decision);
        }

        // The police front door sees what became of its referral; it has no decision form.
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-front-door");
        await police.GotoAsync("/work/front-door-triage/referrals");
        Assert.Contains("Family Help", await police.Locator("[data-testid=referral]").First.InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(police);
        await police.GotoAsync($"/work/front-door-triage/referrals/{referral.Id}");
        Assert.Equal(0, await police.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).CountAsync());
        // And why, who decided and who signed it off.
        Assert.Equal("Parents asked for help; no sign of harm at the medical", await police.Locator("[data-testid=rationale]").InnerTextAsync());
        Assert.Equal("demo-la-front-door, signed off by M. Patel, team manager", await police.Locator("[data-testid=decided-by]").InnerTextAsync());
        await Browser.AssertAccessibleAsync(police);
    }

    [Fact]
    public async Task Given_a_police_front_door_officer_when_they_refer_an_unborn_child_on_the_page_then_they_get_a_reference_and_the_council_sees_it_due()
    {
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-front-door");
        await police.GetByRole(AriaRole.Link, new() { Name = "Refer a child" }).ClickAsync();
        await Browser.AssertAccessibleAsync(police);

        // Sent empty, every problem is named and linked to its field; nothing is stored.
        await police.GetByRole(AriaRole.Button, new() { Name = "Send the referral" }).ClickAsync();
        var summary = await police.Locator(".govuk-error-summary").InnerTextAsync();
        Assert.Contains("Enter your identifier for the child", summary, StringComparison.Ordinal);
        Assert.Contains("Say what worries you about the child", summary, StringComparison.Ordinal);
        Assert.Contains("Enter the date of birth as a real day, month and year", summary, StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(police);
        await using (var db = Hub.Contexts.Create())
        {
            Assert.Equal(0, await db.Referrals.CountAsync());
        }

        var expected = DateTime.UtcNow.AddMonths(4);
        await police.GetByLabel("Your identifier for the child").SelectOptionAsync("PncId");
        await police.GetByLabel("Identifier", new() { Exact = true }).FillAsync("2026/0031415" + Core.People.AgencyIdentifiers.PncCheckLetter("26", "0031415"));
        await police.GetByLabel("Given name").FillAsync("Unborn");
        await police.GetByLabel("Family name").FillAsync("Pagetest");
        await police.GetByLabel("Not yet: give the expected date of delivery").CheckAsync();
        await police.GetByLabel("Day", new() { Exact = true }).FillAsync(expected.Day.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await police.GetByLabel("Month", new() { Exact = true }).FillAsync(expected.Month.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await police.GetByLabel("Year", new() { Exact = true }).FillAsync(expected.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await police.GetByLabel("What worries you").FillAsync("Mother disclosed that her partner hit her during the pregnancy");
        await police.GetByLabel("Category of concern").SelectOptionAsync("domestic-abuse");
        await police.GetByLabel("Red: the child may be at immediate risk (decided within hours)").CheckAsync();
        await police.GetByLabel("Your name and role").FillAsync("PC 1234 Hale, public protection");
        await police.GetByRole(AriaRole.Button, new() { Name = "Send the referral" }).ClickAsync();

        var done = await police.Locator("[data-testid=done]").InnerTextAsync();
        Assert.Contains("acknowledged as FD-", done, StringComparison.Ordinal);
        Assert.Contains("a red referral", done, StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(police);
        await using (var db = Hub.Contexts.Create())
        {
            var referral = await db.Referrals.AsNoTracking().SingleAsync();
            Assert.Equal(Core.Records.ReferralUrgency.Red, referral.Urgency);
            Assert.Equal("domestic-abuse", referral.ConcernCategory);
            Assert.True(referral.DecisionDueAt <= referral.ReceivedAt.AddHours(4));
            var child = await db.People.AsNoTracking().SingleAsync(p => p.Id == referral.SubjectPersonId);
            Assert.Equal("police", child.OwningAgency);
            Assert.Equal(Core.Records.PersonKind.Unborn, child.Kind);
        }

        // The council's front door sees it at the top of its worklist, red, and the unborn child's expected date.
        var council = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-front-door");
        await council.GotoAsync("/work/front-door-triage/referrals");
        var row = council.Locator("[data-testid=referral]").First;
        Assert.Contains("Red", await row.InnerTextAsync(), StringComparison.Ordinal);
        await row.GetByRole(AriaRole.Link).ClickAsync();
        Assert.Contains("Mother disclosed that her partner hit her", await council.Locator("[data-testid=concern]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("unborn, expected", await council.Locator("[data-testid=referral]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(council);
    }

    [Fact]
    public async Task Given_a_school_practitioner_using_only_the_keyboard_then_they_refer_a_child_and_are_given_a_reference()
    {
        var dsl = await Web.SignInAsync(Hub.BaseUrl, "Education (schools and LA education)", "demo-education-fhlp");
        await Browser.KeyboardActivateAsync(dsl, "Refer a child");
        await Browser.KeyboardTypeAsync(dsl, "Your identifier for the child", "Unique");
        await Browser.KeyboardTypeAsync(dsl, "Identifier", Core.People.AgencyIdentifiers.UpnCheckLetter("123456789012") + "123456789012");
        await Browser.KeyboardTypeAsync(dsl, "Given name", "Kai");
        await Browser.KeyboardTypeAsync(dsl, "Family name", "Keyboard");
        await Browser.KeyboardTypeAsync(dsl, "Day", "4");
        await Browser.KeyboardTypeAsync(dsl, "Month", "6");
        await Browser.KeyboardTypeAsync(dsl, "Year", "2015");
        await Browser.KeyboardTypeAsync(dsl, "What worries you", "Came to school hungry every day this week");
        // The form posts to its own address, so the page is the answer when it has loaded: the reference, or the problems.
        await Browser.KeyboardActivateAsync(dsl, "Send the referral", navigates: false);
        await dsl.Locator("[data-testid=done], .govuk-error-summary").First.WaitForAsync();
        Assert.Equal(0, await dsl.Locator(".govuk-error-summary").CountAsync());
        Assert.Contains("acknowledged as FD-", await dsl.Locator("[data-testid=done]").InnerTextAsync(), StringComparison.Ordinal);
        await using var db = Hub.Contexts.Create();
        var referral = await db.Referrals.AsNoTracking().SingleAsync();
        Assert.Equal(("education", Core.Records.ReferralUrgency.Amber), (referral.OwningAgency, referral.Urgency));
    }

    [Fact]
    public async Task Given_a_referral_decided_for_section_47_when_the_lcpp_convenes_the_strategy_discussion_and_decides_a_joint_enquiry_then_the_case_follows_on_the_pages()
    {
        var c = await Hub.CaseAsync();
        var referral = await Hub.ReferralAsync(c.PoliceChild, decidedAt: DateTimeOffset.UtcNow.AddHours(-1));
        var lcpp = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-lcpp");
        await lcpp.GotoAsync($"/work/front-door-triage/referrals/{referral.Id}");
        await Browser.AssertAccessibleAsync(lcpp);

        await lcpp.GetByLabel("demo-police-officer (police, Police)").CheckAsync();
        await lcpp.GetByLabel("demo-health-practitioner (health, Health (ICB and NHS providers))").CheckAsync();
        await lcpp.GetByRole(AriaRole.Button, new() { Name = "Convene" }).ClickAsync();
        Assert.Contains("/work/strategy-meeting/cases/", lcpp.Url, StringComparison.Ordinal);
        Assert.Equal("Strategy discussion", await lcpp.Locator(".govuk-caption-l").First.InnerTextAsync());
        await Browser.AssertAccessibleAsync(lcpp);

        // The police participant finds the discussion among their cases.
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        await police.GotoAsync("/work/cases");
        Assert.Contains("Strategy discussion", await police.Locator("[data-testid=cases]").InnerTextAsync(), StringComparison.Ordinal);

        // The discussion's meeting: when (UK time), who attended, what police brought, what was decided.
        var held = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(-1), TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));
        await lcpp.GetByLabel("Date", new() { Exact = true }).FillAsync(held.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await lcpp.GetByLabel("Time", new() { Exact = true }).FillAsync(held.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await lcpp.GetByLabel("demo-police-officer (Police)").CheckAsync();
        await lcpp.GetByLabel("What Police brought").FillAsync("Two call-outs to the address this year");
        await lcpp.GetByLabel("What was decided").FillAsync("Joint visit tomorrow");
        await lcpp.GetByRole(AriaRole.Button, new() { Name = "Record the meeting" }).ClickAsync();
        Assert.Contains("Two call-outs to the address this year", await lcpp.Locator("[data-testid=strategy-meeting]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(lcpp);

        await lcpp.GetByLabel("Start a joint section 47 enquiry with the police").CheckAsync();
        await lcpp.GetByLabel("Reasons").FillAsync("Unexplained bruising; a joint visit is needed");
        await lcpp.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).ClickAsync();
        Assert.Equal("Section 47 enquiry", await lcpp.Locator(".govuk-caption-l").First.InnerTextAsync());
        Assert.Contains("Initial child protection conference", await lcpp.Locator("[data-testid=due]").InnerTextAsync(), StringComparison.Ordinal);
        await using var db = Hub.Contexts.Create();
        var started = await db.Enquiries.AsNoTracking().SingleAsync(e => e.ReferralId == referral.Id);
        Assert.Equal((Core.Records.CaseStage.Section47, true), (started.Stage, started.JointWithPolice));
    }
}

public sealed class SqliteFrontDoorPagesTests() : FrontDoorPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresFrontDoorPagesTests() : FrontDoorPagesTests(DatabaseEngine.Postgres);
