using System.Globalization;
using SharingHub.Core.Time;

namespace SharingHub.Policies.Loading;

/// <summary>Reads policies/working-days.yaml strictly: every error names the file, line and reason, and stops start-up.</summary>
public static class CalendarLoader
{
    public const string FileName = "working-days.yaml";

    public static WorkingCalendar Load(string directory)
    {
        var errors = new PolicyErrors();
        var path = Path.Combine(directory, FileName);
        var name = Path.Combine(Path.GetFileName(Path.GetFullPath(directory)), FileName);
        if (!File.Exists(path))
        {
            errors.Add(name, 0, "file not found");
            errors.ThrowIfAny();
        }
        var doc = YamlMap.Parse(File.ReadAllText(path), name, errors);
        TimeZoneInfo? zone = null;
        TimeOnly start = default, end = default;
        var holidays = new List<DateOnly>();
        var deadlines = ReferralDeadlines.Default;
        if (doc is not null)
        {
            if (doc.String("time-zone") is { } zoneId)
            {
                try
                {
                    zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
                }
                catch (TimeZoneNotFoundException)
                {
                    errors.Add(name, doc.LineOf("time-zone"), $"unknown time zone '{zoneId}'");
                }
            }
            if (doc.Map("working-hours") is { } hours)
            {
                start = Time(hours, "start", name, errors);
                end = Time(hours, "end", name, errors);
                if (end <= start)
                {
                    errors.Add(name, hours.Line, "working-hours end must be after start");
                }
                hours.RejectUnknownKeys();
            }
            foreach (var (value, line) in doc.Words("bank-holidays"))
            {
                if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    holidays.Add(day);
                }
                else
                {
                    errors.Add(name, line, $"'{value}' is not a date (yyyy-MM-dd)");
                }
            }
            if (doc.Map("referral-urgency") is { } urgency)
            {
                deadlines = new ReferralDeadlines(
                    Count(urgency, "red-hours", 1, 72, name, errors),
                    Count(urgency, "amber-working-days", 1, 10, name, errors),
                    Count(urgency, "green-working-days", 1, 20, name, errors));
                urgency.RejectUnknownKeys();
            }
            doc.RejectUnknownKeys();
        }
        errors.ThrowIfAny();
        return new WorkingCalendar(zone!, start, end, holidays) { Deadlines = deadlines };
    }

    private static int Count(YamlMap map, string key, int min, int max, string file, PolicyErrors errors)
    {
        var text = map.String(key);
        if (text is not null && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            return n;
        }
        errors.Add(file, map.LineOf(key), $"'{key}' must be a whole number from {min} to {max}");
        return min;
    }

    private static TimeOnly Time(YamlMap map, string key, string file, PolicyErrors errors)
    {
        var text = map.String(key);
        if (text is not null && TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }
        errors.Add(file, map.LineOf(key), $"'{key}' must be a time of day like 09:00");
        return default;
    }
}
