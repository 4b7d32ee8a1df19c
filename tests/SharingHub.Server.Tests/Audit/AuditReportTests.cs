using SharingHub.Server.Audit;

namespace SharingHub.Server.Tests.Audit;

public sealed class AuditReportTests
{
    [Theory]
    [InlineData("2026-11-18T09:30:00Z", false)] // Wednesday morning, GMT
    [InlineData("2026-11-18T18:05:00Z", true)]  // Wednesday evening
    [InlineData("2026-11-21T11:00:00Z", true)]  // Saturday
    [InlineData("2026-07-15T07:30:00Z", false)] // 08:30 in British Summer Time
    [InlineData("2026-07-15T17:30:00Z", true)]  // 18:30 BST
    public void Given_a_time_then_out_of_hours_follows_uk_local_time(string at, bool outOfHours) =>
        Assert.Equal(outOfHours, AuditReports.OutOfHours(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));
}
