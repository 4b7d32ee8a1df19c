using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// A Family Help practitioner in a real browser: their families, a child's chronology under family-help (what the family has not
/// agreed to share is not there), and break glass: a justification too short reads nothing more; a real one reads it, the page
/// says IG will review it, and the audit entry is marked as an override with its justification.
/// </summary>
public abstract class FamilyHelpPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    private const string Justification = "Mother says the baby has had a fall; I must see the health contacts before the visit today";

    [Fact]
    public async Task Given_a_family_without_consent_when_the_lead_practitioner_breaks_glass_with_a_reason_then_they_see_health_records_and_the_override_is_audited()
    {
        var c = await Hub.CaseAsync("Glasswell");
        var plan = new
        {
            resourceType = "CarePlan", status = "draft", intent = "plan",
            category = new[] { new { coding = new[] { new { system = "urn:sharinghub:care-plan", code = "family-help" } } } },
            description = "Housing worries and a new baby", subject = new { reference = $"Patient/{c.LaChild.Id}" }, period = new { start = "2026-09-01T09:00:00Z" },
            contained = new[]
            {
                new
                {
                    resourceType = "CareTeam", id = "team",
                    participant = new[] { new { role = new[] { new { coding = new[] { new { system = "urn:sharinghub:team-role", code = "lead-practitioner" } } } }, member = new { display = "K. Patel" } } },
                },
            },
            careTeam = new[] { new { reference = "#team" } },
        };
        using (var created = await Hub.SendAsync(HttpMethod.Post, "/fhir/CarePlan", "demo-la-fhlp", content: new StringContent(JsonSerializer.Serialize(plan), Encoding.UTF8, "application/fhir+json")))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }
        var fhlp = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-fhlp");

        await fhlp.GetByRole(AriaRole.Link, new() { Name = "Families" }).ClickAsync();
        var family = fhlp.Locator("[data-testid=family]");
        Assert.Contains("K. Patel", await family.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Housing worries and a new baby", await family.InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(fhlp);
        await family.GetByRole(AriaRole.Link).ClickAsync();

        // The council's own records, and Family Help itself; the health contact needs the family's agreement.
        var chronology = await fhlp.Locator("[data-testid=chronology]").InnerTextAsync();
        Assert.Contains("Home visit by social worker", chronology, StringComparison.Ordinal);
        Assert.Contains("Family Help", chronology, StringComparison.Ordinal);
        Assert.DoesNotContain("Missed immunisation appointment", chronology, StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(fhlp);

        // A break-glass form from anywhere but the hub (a forged token) is refused and reads nothing.
        var forged = await fhlp.Context.APIRequest.PostAsync(fhlp.Url, new()
        {
            Form = fhlp.Context.APIRequest.CreateFormData().Set("__csrf", "CfDJ8forged").Set("justification", Justification),
        });
        Assert.Equal(400, forged.Status);
        Assert.DoesNotContain("Missed immunisation appointment", await forged.TextAsync(), StringComparison.Ordinal);

        // Break glass without a real reason: refused by name, nothing more read.
        await fhlp.GetByText("See records the family has not agreed to share (break glass)").ClickAsync();
        await fhlp.GetByLabel("Why you must see them without the family's agreement").FillAsync("urgent");
        await fhlp.GetByRole(AriaRole.Button, new() { Name = "See them, and record why" }).ClickAsync();
        Assert.Contains("at least 20 characters", await fhlp.Locator("#justification-error").InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Missed immunisation appointment", await fhlp.Locator("[data-testid=chronology]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(fhlp);

        await fhlp.GetByLabel("Why you must see them without the family's agreement").FillAsync(Justification);
        await fhlp.GetByRole(AriaRole.Button, new() { Name = "See them, and record why" }).ClickAsync();
        Assert.Contains("Information governance will review why", await fhlp.Locator("[data-testid=override-warning]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Missed immunisation appointment", await fhlp.Locator("[data-testid=chronology]").InnerTextAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(fhlp);

        await using var db = Hub.Contexts.Create();
        var entry = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "page.family-chronology-override").OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.True(entry.IsOverride);
        Assert.Equal("family-help", entry.Purpose);
        Assert.Contains(Justification, entry.Body, StringComparison.Ordinal);
        // The attempt without a reason was no override.
        Assert.False((await db.AuditEntries.AsNoTracking().Where(a => a.Action == "page.family-chronology-override").OrderBy(a => a.Sequence).FirstAsync()).IsOverride);
    }
}

public sealed class SqliteFamilyHelpPagesTests() : FamilyHelpPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresFamilyHelpPagesTests() : FamilyHelpPagesTests(DatabaseEngine.Postgres);
