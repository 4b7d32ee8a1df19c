using SharingHub.Core.Time;

namespace SharingHub.Core.Tests.Time;

public sealed class WorkingCalendarTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    private static readonly WorkingCalendar Calendar = new(London, new TimeOnly(9, 0), new TimeOnly(17, 0),
        [new DateOnly(2026, 8, 31), new DateOnly(2026, 12, 25), new DateOnly(2026, 12, 28), new DateOnly(2027, 1, 1)]);

    private static DateTimeOffset Uk(int year, int month, int day, int hour, int minute = 0)
    {
        var wall = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(wall, London.GetUtcOffset(wall));
    }

    [Theory]
    // Tuesday mid-morning: same time Wednesday.
    [InlineData("2026-09-08T10:30", "2026-09-09T10:30")]
    // Friday afternoon: the weekend does not count.
    [InlineData("2026-09-11T15:00", "2026-09-14T15:00")]
    // Saturday: the clock starts on Monday morning and runs the whole day.
    [InlineData("2026-09-12T11:00", "2026-09-14T17:00")]
    // After hours on a Thursday: due at the end of Friday.
    [InlineData("2026-09-10T19:45", "2026-09-11T17:00")]
    // Before hours: the clock starts at nine.
    [InlineData("2026-09-10T07:00", "2026-09-10T17:00")]
    // Friday before the August bank holiday Monday: due on Tuesday.
    [InlineData("2026-08-28T16:00", "2026-09-01T16:00")]
    // Christmas Eve afternoon 2026: Christmas Day (Friday), the weekend and the substitute Boxing Day are skipped.
    [InlineData("2026-12-24T14:00", "2026-12-29T14:00")]
    public void Given_a_referral_received_then_the_decision_is_due_one_working_day_later(string received, string due)
    {
        var at = DateTime.Parse(received, System.Globalization.CultureInfo.InvariantCulture);
        var expected = DateTime.Parse(due, System.Globalization.CultureInfo.InvariantCulture);

        var result = Calendar.DecisionDue(Uk(at.Year, at.Month, at.Day, at.Hour, at.Minute));

        Assert.Equal(Uk(expected.Year, expected.Month, expected.Day, expected.Hour, expected.Minute), result);
    }

    [Fact]
    public void Given_the_clocks_go_back_over_the_weekend_then_the_deadline_is_still_in_uk_working_hours()
    {
        // British Summer Time ends on Sunday 25 October 2026: Friday is UTC+1, Monday UTC+0.
        var due = Calendar.DecisionDue(Uk(2026, 10, 23, 16));

        Assert.Equal(TimeSpan.Zero, due.Offset);
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 16, 0, 0, TimeSpan.Zero), due);
    }

    [Fact]
    public void Given_a_bank_holiday_then_it_is_not_a_working_day_and_a_normal_weekday_is()
    {
        Assert.False(Calendar.IsWorkingDay(new DateOnly(2026, 8, 31)));
        Assert.True(Calendar.IsWorkingDay(new DateOnly(2026, 9, 1)));
        Assert.False(Calendar.IsWorkingDay(new DateOnly(2026, 9, 5)));
    }
}
