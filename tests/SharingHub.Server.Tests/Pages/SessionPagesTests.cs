using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Pages;

/// <summary>A person's session in the browser ends after 30 minutes without a request, and 8 hours after sign-in however busy.</summary>
public sealed class SessionPagesTests() : PageTest(DatabaseEngine.Sqlite, null, Clock)
{
    private static readonly ManualClock Clock = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Given_a_signed_in_person_then_the_session_ends_after_idle_minutes_and_after_its_lifetime_however_busy()
    {
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        Clock.Advance(TimeSpan.FromMinutes(25));
        await police.GotoAsync("/work/cases");
        Assert.Equal("Your cases", await police.Locator("h1").InnerTextAsync());
        Clock.Advance(TimeSpan.FromMinutes(31));
        await police.GotoAsync("/work/cases");
        Assert.Equal("Sign in to SharingHub", await police.Locator("h1").InnerTextAsync());

        // Busy all day: a request every 20 minutes keeps the session only until 8 hours after sign-in.
        police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        for (var minutes = 20; minutes < 8 * 60; minutes += 20)
        {
            Clock.Advance(TimeSpan.FromMinutes(20));
            await police.GotoAsync("/work/cases");
            Assert.Equal("Your cases", await police.Locator("h1").InnerTextAsync());
        }
        Clock.Advance(TimeSpan.FromMinutes(20));
        await police.GotoAsync("/work/cases");
        Assert.Equal("Sign in to SharingHub", await police.Locator("h1").InnerTextAsync());
    }
}
