using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// The Children in Need census in a real browser: the council's returns officer finds it from their work, sees the year's
/// children and the case the council has no record of (by its reference, nothing about the child), downloads the file the
/// API makes (decided and audited the same way), and no one else has the page.
/// </summary>
public abstract class CinCensusPagesTests(DatabaseEngine engine) : PageTest(engine)
{
    private async Task<Referral> ReferralAsync(string agency, DateTimeOffset received, params (IdentifierKind Kind, string Value)[] identifiers)
    {
        await using var db = Hub.Contexts.Create();
        var child = new Person { Id = Guid.NewGuid(), OwningAgency = agency, DataClass = "person.demographics", CreatedAt = received, UpdatedAt = received, Version = 1 };
        Hub.Builder.People.Seal(child, new PersonDetails(PersonKind.Child, "Pagecensuschild", "Pagecensusfamily", new DateOnly(2017, 3, 9), "male", null, identifiers));
        db.People.Add(child);
        var referral = new Referral
        {
            Id = Guid.NewGuid(), OwningAgency = agency, DataClass = "referral", SubjectPersonId = child.Id, ReceivedAt = received, DecisionDueAt = received.AddDays(1),
            Reference = $"PAGE-{Guid.NewGuid():N}"[..16], CreatedAt = received, UpdatedAt = received, Version = 1,
        };
        referral.Concern = Hub.Services.GetRequiredService<IFieldCipher>().Encrypt("Synthetic concern", SensitiveFields.For(referral, nameof(Referral.Concern)));
        db.Referrals.Add(referral);
        await db.SaveChangesAsync();
        return referral;
    }

    [Fact]
    public async Task Given_a_years_referrals_when_the_returns_officer_opens_the_census_then_the_page_shows_its_children_and_gaps_and_gives_the_file()
    {
        var received = DateTimeOffset.UtcNow.AddDays(-2);
        var start = received.Month >= 4 ? received.Year : received.Year - 1;
        var year = $"{start}-{(start + 1) % 100:00}";
        await ReferralAsync("la", received, (IdentifierKind.LaPersonId, "LA777001"));
        var unrecorded = await ReferralAsync("education", received);

        var officer = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-returns");
        await officer.GetByRole(AriaRole.Link, new() { Name = "Children in Need census" }).ClickAsync();
        Assert.Equal("Children in Need census", await officer.Locator("h1").InnerTextAsync());
        await officer.GetByLabel("Census year").SelectOptionAsync(year);
        await officer.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        Assert.StartsWith($"Census year {year}", await officer.Locator("[data-testid=year]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("1", await officer.Locator("[data-testid=children]").InnerTextAsync());
        Assert.Contains(unrecorded.Reference!, await officer.Locator("[data-testid=gaps]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("not recorded by the hub", await officer.Locator("[data-testid=fields]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Pagecensus", await officer.ContentAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(officer);

        var download = await officer.RunAndWaitForDownloadAsync(() => officer.GetByRole(AriaRole.Link, new() { Name = "Download the census file (XML)" }).ClickAsync());
        var file = await download.PathAsync();
        var child = Assert.Single(XDocument.Load(file!).Root!.Element("Children")!.Elements("Child"));
        Assert.Equal(("LA777001", "2017-03-09", "1"), (child.Element("ChildIdentifiers")!.Element("LAchildID")!.Value,
            child.Element("ChildIdentifiers")!.Element("PersonBirthDate")!.Value, child.Element("ChildIdentifiers")!.Element("GenderCurrent")!.Value));
        await using (var db = Hub.Contexts.Create())
        {
            var export = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "census.export" && a.Actor == "demo-la-returns").ToListAsync();
            Assert.Equal("cin-census", Assert.Single(export).Purpose);
        }

        // The analyst (figures only) and a lead practitioner have neither the link nor the page; the census purpose opens no other page.
        var analyst = await Web.SignInAsync(Hub.BaseUrl, "Local authority children's services", "demo-la-analyst");
        Assert.Equal(0, await analyst.GetByRole(AriaRole.Link, new() { Name = "Children in Need census" }).CountAsync());
        Assert.Equal(403, (await analyst.GotoAsync("/work/cin-census/census"))!.Status);
        Assert.DoesNotContain("LA777001", await analyst.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal(403, (await officer.GotoAsync("/work/cin-census/dashboard"))!.Status);
        Assert.Equal(400, (await officer.GotoAsync("/work/cin-census/census?year=2026-Q1"))!.Status);
        await Browser.AssertAccessibleAsync(officer);
    }
}

public sealed class SqliteCinCensusPagesTests() : CinCensusPagesTests(DatabaseEngine.Sqlite);

public sealed class PostgresCinCensusPagesTests() : CinCensusPagesTests(DatabaseEngine.Postgres);
