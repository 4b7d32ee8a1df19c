using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// A health practitioner answers a case's information request in a real browser: the inbox with its deadline, the question
/// read under the case's purpose, the answer form with every field at fault named, and a forged form refused, recording nothing.
/// </summary>
public abstract class RequestPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    private async Task<Guid> AskHealthAsync(CaseRecords c, string question)
    {
        using var asked = await Hub.SendAsync(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/information-requests", "demo-la-lcpp",
            content: JsonContent.Create(new { agency = "health", question }));
        Assert.Equal(HttpStatusCode.Created, asked.StatusCode);
        return (await FhirTestHub.JsonAsync(asked)).GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task Given_a_request_to_health_when_its_practitioner_answers_on_the_page_then_the_case_reads_the_answer_with_its_reason()
    {
        var c = await Hub.CaseAsync();
        var request = await AskHealthAsync(c, "Any A&E attendances for Mia in the last year?");
        var health = await Web.SignInAsync(Hub.BaseUrl, "Health (ICB and NHS providers)", "demo-health-practitioner");

        await health.GetByRole(AriaRole.Link, new() { Name = "Information requests" }).First.ClickAsync();
        await Browser.AssertAccessibleAsync(health);
        await health.GetByRole(AriaRole.Link, new() { Name = $"Request from case {c.Enquiry.Reference}" }).ClickAsync();
        Assert.Equal("Any A&E attendances for Mia in the last year?", await health.Locator("[data-testid=question]").InnerTextAsync());
        await Browser.AssertAccessibleAsync(health);

        // Sent with nothing chosen, then "not shared" without its reason: each time the fields at fault are named and nothing is recorded.
        await health.GetByRole(AriaRole.Button, new() { Name = "Send answer" }).ClickAsync();
        Assert.Contains("Kind is provided, nothingHeld or heldNotShared", await health.Locator(".govuk-error-summary").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(health);
        await health.GetByLabel("We hold information but will not share it").CheckAsync();
        await health.GetByRole(AriaRole.Button, new() { Name = "Send answer" }).ClickAsync();
        Assert.Contains("reasons", await health.Locator(".govuk-error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await health.GetByLabel("We hold information but will not share it").IsCheckedAsync());
        await using (var db = Hub.Contexts.Create())
        {
            Assert.Equal(Core.Records.InformationRequestStatus.Open, (await db.InformationRequests.AsNoTracking().SingleAsync(r => r.Id == request)).Status);
        }

        await health.GetByLabel("Why it is not shared").FillAsync("Mental health records: shared only with the family's consent, which was refused");
        await health.GetByRole(AriaRole.Button, new() { Name = "Send answer" }).ClickAsync();
        Assert.Contains("recorded", await health.Locator("[data-testid=done]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(health);

        // The case's lead sees it on the case page too, with the strategy meeting the case recorded.
        using (var meeting = await Hub.SendAsync(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/strategy-meetings", "demo-la-lcpp", content: JsonContent.Create(new
        {
            heldAt = DateTimeOffset.UtcNow.AddHours(-1), attendees = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
            contributions = new[] { new { agency = "police", summary = "Two call-outs to the address this year" } }, decisions = "Joint visit tomorrow",
        })))
        {
            Assert.Equal(HttpStatusCode.Created, meeting.StatusCode);
        }
        var lead = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-lcpp");
        await lead.GotoAsync($"/work/s47-enquiry/cases/{c.Enquiry.Id}");
        Assert.Contains("We hold information but will not share it", await lead.Locator("[data-testid=case-requests]").InnerTextAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Two call-outs to the address this year", await lead.Locator("[data-testid=strategy-meeting]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(lead);

        // The case's lead reads the answer through the API, with the recorded reason.
        using var task = await Hub.GetAsync($"/fhir/Task/{request}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var body = await task.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, task.StatusCode);
        Assert.Contains("family's consent, which was refused", body, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"completed\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_forged_answer_form_then_it_is_refused_with_a_clear_page_nothing_is_recorded_and_the_refusal_is_audited()
    {
        var c = await Hub.CaseAsync();
        var request = await AskHealthAsync(c, "Anything known about the household?");
        var health = await Web.SignInAsync(Hub.BaseUrl, "Health (ICB and NHS providers)", "demo-health-practitioner");
        var path = $"/work/s47-enquiry/cases/{c.Enquiry.Id}/requests/{request}";

        // The session's own cookie, but a token the hub never issued (as a page on another site would send).
        var forged = await health.Context.APIRequest.PostAsync(path, new()
        {
            Form = health.Context.APIRequest.CreateFormData().Set("__csrf", "CfDJ8forged").Set("kind", "provided").Set("content", "Everything we hold"),
        });
        Assert.Equal(400, forged.Status);
        Assert.Contains("did not come from SharingHub", await forged.TextAsync(), StringComparison.Ordinal);
        // And a form with no token at all.
        var missing = await health.Context.APIRequest.PostAsync(path, new() { Form = health.Context.APIRequest.CreateFormData().Set("kind", "nothingHeld") });
        Assert.Equal(400, missing.Status);
        // And a body that is no form at all (a broken multipart body): the sender's error, not the hub's.
        var broken = await health.Context.APIRequest.PostAsync(path, new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "multipart/form-data; boundary=x" }, Data = "--x\r\nbroken",
        });
        Assert.Equal(400, broken.Status);

        await using var db = Hub.Contexts.Create();
        var stored = await db.InformationRequests.AsNoTracking().Include(r => r.Responses).SingleAsync(r => r.Id == request);
        Assert.Equal((Core.Records.InformationRequestStatus.Open, 0), (stored.Status, stored.Responses.Count));
        var refusals = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "page.information-response" && a.Actor == "demo-health-practitioner").ToListAsync();
        Assert.Equal(3, refusals.Count);
        Assert.All(refusals, a => Assert.NotEqual("success", a.Outcome));
    }
}

public sealed class SqliteRequestPagesTests() : RequestPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresRequestPagesTests() : RequestPagesTests(DatabaseEngine.Postgres);
