using SharingHub.Policies.Loading;

namespace SharingHub.Policies.Tests.Loading;

public sealed class CalendarLoaderTests
{
    [Fact]
    public void Given_the_shipped_calendar_then_it_loads_with_england_and_wales_bank_holidays()
    {
        var calendar = CalendarLoader.Load(ShippedPolicies.Folder);

        Assert.False(calendar.IsWorkingDay(new DateOnly(2026, 12, 28)));
        Assert.Equal(new TimeOnly(9, 0), calendar.DayStart);
        Assert.True(calendar.LastHoliday >= new DateOnly(2027, 12, 1));
    }

    [Fact]
    public void Given_a_misspelt_date_and_a_bad_zone_then_loading_stops_naming_each_line()
    {
        var folder = Directory.CreateTempSubdirectory("sharinghub-calendar-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, CalendarLoader.FileName),
                "time-zone: Europe/Atlantis\nworking-hours:\n  start: \"09:00\"\n  end: \"17:00\"\nbank-holidays:\n  - 2026-13-01\n");

            var error = Assert.Throws<PolicyLoadException>(() => CalendarLoader.Load(folder.FullName));

            Assert.Contains("unknown time zone 'Europe/Atlantis'", error.Message, StringComparison.Ordinal);
            Assert.Contains("'2026-13-01' is not a date", error.Message, StringComparison.Ordinal);
            Assert.Contains(":6", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
