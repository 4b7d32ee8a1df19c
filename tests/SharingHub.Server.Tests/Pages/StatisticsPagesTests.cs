using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// The managers' dashboard in a real browser: the council's analyst and a front door team manager find it from their
/// work, read a period's measures with each one's last twelve months as a chart and a table, choose another period, and
/// see small numbers withheld; a practitioner of another agency is refused it.
/// </summary>
public abstract class StatisticsPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    /// <summary>Referrals received by an agency at a moment, each about a new child record of its own.</summary>
    private async Task ReferralsAsync(string agency, DateTimeOffset received, int count)
    {
        await using var db = Hub.Contexts.Create();
        var cipher = Hub.Services.GetRequiredService<IFieldCipher>();
        for (var i = 0; i < count; i++)
        {
            var child = Hub.Builder.Person(agency, "Dashchild", $"Dashfamily{i}", $"2016-0{1 + i % 9}-1{i % 9}", kind: null);
            db.People.Add(child);
            var referral = new Referral
            {
                Id = Guid.NewGuid(), OwningAgency = agency, DataClass = "referral", SubjectPersonId = child.Id, ReceivedAt = received, DecisionDueAt = received.AddDays(1),
                CreatedAt = received, UpdatedAt = received, Version = 1,
            };
            referral.Concern = cipher.Encrypt("Synthetic concern", SensitiveFields.For(referral, nameof(Referral.Concern)));
            db.Referrals.Add(referral);
        }
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Given_referrals_over_two_months_when_the_analyst_opens_the_dashboard_then_each_month_shows_with_small_numbers_withheld()
    {
        var now = DateTimeOffset.UtcNow;
        var earlier = new DateTimeOffset(now.Year, now.Month, 10, 12, 0, 0, TimeSpan.Zero).AddMonths(-2);
        var later = earlier.AddMonths(1);
        await ReferralsAsync("police", earlier, 7);
        await ReferralsAsync("health", later, 2);
        var period = later.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var earlierLabel = earlier.ToString("MMM yyyy", CultureInfo.InvariantCulture);
        var laterLabel = later.ToString("MMM yyyy", CultureInfo.InvariantCulture);

        var analyst = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-analyst");
        await analyst.GetByRole(AriaRole.Link, new() { Name = "Partnership measures" }).ClickAsync();
        Assert.Equal("Partnership measures", await analyst.Locator("h1").InnerTextAsync());
        await Browser.AssertAccessibleAsync(analyst);

        await analyst.GetByLabel("Period").SelectOptionAsync(period);
        await analyst.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        Assert.Equal(later.ToString("MMMM yyyy", CultureInfo.InvariantCulture), await analyst.Locator("[data-testid=period]").InnerTextAsync());
        // Two referrals this month: not shown; the month before's seven are, in the table beside the chart.
        Assert.Contains("not shown", await analyst.Locator("[data-testid=total-referrals-received]").InnerTextAsync(), StringComparison.Ordinal);
        var trend = analyst.Locator("[data-testid=trend-referrals-received] tbody tr");
        Assert.Equal(12, await trend.CountAsync());
        Assert.Equal(earlierLabel + "\t7", (await trend.Nth(10).InnerTextAsync()).Trim());
        Assert.StartsWith(laterLabel, await trend.Nth(11).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("not shown", await trend.Nth(11).InnerTextAsync(), StringComparison.Ordinal);
        // The chart is a picture with a name, the numbers being in the table.
        Assert.Contains("by month", await analyst.Locator("[data-testid=measure-referrals-received] svg title").TextContentAsync() ?? "", StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(analyst);

        // A front door team manager has it too; a police practitioner does not.
        var manager = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-team-manager");
        Assert.Equal(1, await manager.GetByRole(AriaRole.Link, new() { Name = "Partnership measures" }).CountAsync());
        var police = await Web.SignInAsync(Hub.BaseUrl, "Police", "demo-police-officer");
        Assert.Equal(0, await police.GetByRole(AriaRole.Link, new() { Name = "Partnership measures" }).CountAsync());
        Assert.Equal(403, (await police.GotoAsync("/work/statistics/dashboard"))!.Status);
        Assert.Equal(0, await police.Locator("[data-testid^=measure-]").CountAsync());
        // A purpose that is not statistics in the address is refused, even to the analyst.
        Assert.Equal(400, (await analyst.GotoAsync("/work/front-door-triage/dashboard"))!.Status);
        Assert.Equal(400, (await analyst.GotoAsync("/work/statistics/dashboard?period=last-week"))!.Status);
        await Browser.AssertAccessibleAsync(analyst);
    }
}

public sealed class SqliteStatisticsPagesTests() : StatisticsPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresStatisticsPagesTests() : StatisticsPagesTests(DatabaseEngine.Postgres);
