namespace SharingHub.Core.Time;

/// <summary>
/// The front door's working time: weekdays between the day's start and end in local time (UK time,
/// which changes with summer time), except bank holidays. "A decision within one working day" is the
/// receipt time plus one working day of working time: a referral received on Friday at 15:00 is due
/// on Monday at 15:00, one received on a Saturday is due at the end of Monday, and bank holidays count
/// as weekend days.
/// </summary>
public sealed class WorkingCalendar
{
    private readonly HashSet<DateOnly> _holidays;

    public WorkingCalendar(TimeZoneInfo zone, TimeOnly dayStart, TimeOnly dayEnd, IEnumerable<DateOnly> holidays)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (dayEnd <= dayStart)
        {
            throw new ArgumentException("the working day must end after it starts", nameof(dayEnd));
        }
        Zone = zone;
        DayStart = dayStart;
        DayEnd = dayEnd;
        _holidays = holidays.ToHashSet();
        FirstHoliday = _holidays.Count == 0 ? DateOnly.MinValue : _holidays.Min();
        LastHoliday = _holidays.Count == 0 ? DateOnly.MinValue : _holidays.Max();
    }

    public TimeZoneInfo Zone { get; }
    public TimeOnly DayStart { get; }
    public TimeOnly DayEnd { get; }
    public TimeSpan WorkingDay => DayEnd - DayStart;
    public DateOnly FirstHoliday { get; }
    public DateOnly LastHoliday { get; }

    public bool IsWorkingDay(DateOnly day) =>
        day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !_holidays.Contains(day);

    /// <summary>The moment one working day of working time has passed since <paramref name="received"/>.</summary>
    public DateTimeOffset DecisionDue(DateTimeOffset received) => AddWorkingTime(received, WorkingDay);

    /// <summary>How soon a referral is decided by its urgency (policies/working-days.yaml, referral-urgency).</summary>
    public ReferralDeadlines Deadlines { get; init; } = ReferralDeadlines.Default;

    /// <summary>
    /// When a referral of this urgency must be decided: a red one within hours of clock time (out of hours too: the
    /// emergency duty team answers around the clock), an amber or green one in working days.
    /// </summary>
    public DateTimeOffset DecisionDue(DateTimeOffset received, Records.ReferralUrgency urgency) => urgency switch
    {
        Records.ReferralUrgency.Red => received.AddHours(Deadlines.RedHours),
        Records.ReferralUrgency.Green => AddWorkingTime(received, WorkingDay * Deadlines.GreenWorkingDays),
        _ => AddWorkingTime(received, WorkingDay * Deadlines.AmberWorkingDays),
    };

    public DateTimeOffset AddWorkingTime(DateTimeOffset from, TimeSpan amount)
    {
        var local = TimeZoneInfo.ConvertTime(from, Zone);
        var day = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var left = amount;
        // Start the clock at the next working moment.
        if (!IsWorkingDay(day) || time >= DayEnd)
        {
            day = NextWorkingDay(day);
            time = DayStart;
        }
        else if (time < DayStart)
        {
            time = DayStart;
        }
        for (var guard = 0; guard < 3_660; guard++)
        {
            var available = DayEnd - time;
            if (left <= available)
            {
                return Local(day, time.Add(left));
            }
            left -= available;
            day = NextWorkingDay(day);
            time = DayStart;
        }
        throw new InvalidOperationException("no working days within ten years: the calendar is broken");
    }

    private DateOnly NextWorkingDay(DateOnly day)
    {
        do
        {
            day = day.AddDays(1);
        }
        while (!IsWorkingDay(day));
        return day;
    }

    private DateTimeOffset Local(DateOnly day, TimeOnly time)
    {
        var wall = day.ToDateTime(time, DateTimeKind.Unspecified);
        return new DateTimeOffset(wall, Zone.GetUtcOffset(wall));
    }
}

/// <summary>How soon the front door decides a referral of each urgency: red in clock hours, amber and green in working days.</summary>
public sealed record ReferralDeadlines(int RedHours, int AmberWorkingDays, int GreenWorkingDays)
{
    public static readonly ReferralDeadlines Default = new(4, 1, 3);
}
