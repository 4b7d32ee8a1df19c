using Microsoft.Playwright;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// The pages over the demo data the README's tour uses: a police member's way to a child's chronology and the council IG
/// officer's audit trail, each passing axe-core, and each photographed for the README (docs/screenshots, written where
/// SHARINGHUB_SCREENSHOTS points; docs/screenshots/make.sh runs this test to refresh them).
/// </summary>
public sealed class DemoPagesTests() : PageTest(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["SharingHub:Demo:Enabled"] = "true", ["SharingHub:Demo:Families"] = "8" })
{
    private static string Shot(string name) =>
        Path.Combine(Environment.GetEnvironmentVariable("SHARINGHUB_SCREENSHOTS") is { Length: > 0 } folder ? folder : Path.GetTempPath(), name);

    [Fact]
    public async Task Given_the_demo_when_a_police_member_opens_a_childs_chronology_and_the_council_ig_officer_the_audit_trail_then_both_pages_read_well_and_are_photographed()
    {
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        await police.SetViewportSizeAsync(1200, 900);
        await police.GetByRole(AriaRole.Link, new() { Name = "Your cases" }).First.ClickAsync();
        await police.Locator("[data-testid=cases] a").First.ClickAsync();
        await Browser.ArriveAsync(police, url => !url.EndsWith("/work/cases", StringComparison.Ordinal));
        // A case whose stage serves one purpose opens at once; otherwise the person chooses (the first offered here).
        if (await police.Locator("[data-testid=subjects]").CountAsync() == 0)
        {
            await police.Locator("main .govuk-list a").First.ClickAsync();
        }
        await police.Locator("[data-testid=subjects] a").First.ClickAsync();
        Assert.StartsWith("Chronology of ", await police.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await police.Locator("[data-testid=entry]").CountAsync() > 5);
        await Browser.AssertAccessibleAsync(police);
        var chronology = Shot("chronology.png");
        await police.ScreenshotAsync(new() { Path = chronology, FullPage = false });

        var ig = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-ig");
        await ig.SetViewportSizeAsync(1200, 900);
        await ig.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await ig.GetByLabel("User").FillAsync("demo-police-officer");
        await ig.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        Assert.True(await ig.Locator("[data-testid=audit-entry]").CountAsync() > 0);
        await Browser.AssertAccessibleAsync(ig);
        var audit = Shot("audit.png");
        await ig.ScreenshotAsync(new() { Path = audit, FullPage = false });

        Assert.True(new FileInfo(chronology).Length > 10_000 && new FileInfo(audit).Length > 10_000);
    }
}
