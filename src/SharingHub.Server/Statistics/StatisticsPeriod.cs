using System.Globalization;
using System.Text.RegularExpressions;

namespace SharingHub.Server.Statistics;

/// <summary>
/// A period the measures are computed for: a calendar month (<c>2026-05</c>), a calendar quarter (<c>2026-Q2</c>), a calendar
/// year (<c>2026</c>) or a financial year from April (<c>2026-27</c>), as the DfE's returns and managers' reports use. Only
/// these fixed periods, never any two dates: two overlapping periods a day apart would tell, by their difference, what
/// a suppressed cell hides. Bounds are midnight in the partnership's time zone (UK time).
/// </summary>
public sealed partial record StatisticsPeriod(string Code, string Grain, DateTimeOffset From, DateTimeOffset To)
{
    [GeneratedRegex(@"^(?<y>\d{4})(?:-(?:(?<two>\d{2})|Q(?<q>[1-4])))?$", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Pattern();

    public const string Expected = "a month (2026-05), a quarter (2026-Q2), a calendar year (2026) or a financial year from April (2026-27)";

    /// <summary>The period a code names, in <paramref name="zone"/>; null with why when the code is not one.</summary>
    public static (StatisticsPeriod? Period, string? Problem) Parse(string? code, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var match = code is null ? Match.Empty : Pattern().Match(code);
        if (!match.Success)
        {
            return (null, $"period is {Expected}");
        }
        var year = int.Parse(match.Groups["y"].Value, CultureInfo.InvariantCulture);
        if (year is < 2000 or > 2100)
        {
            return (null, "period is a year from 2000 to 2100");
        }
        DateOnly from;
        DateOnly to;
        string grain;
        // Two digits after the year are a month (01 to 12) or the end of a financial year (2026-27): from 2012 on they differ.
        var two = match.Groups["two"].Success ? int.Parse(match.Groups["two"].Value, CultureInfo.InvariantCulture) : -1;
        if (two is >= 1 and <= 12)
        {
            var month = two;
            from = new DateOnly(year, month, 1);
            to = from.AddMonths(1);
            grain = "month";
        }
        else if (match.Groups["q"].Success)
        {
            from = new DateOnly(year, (int.Parse(match.Groups["q"].Value, CultureInfo.InvariantCulture) - 1) * 3 + 1, 1);
            to = from.AddMonths(3);
            grain = "quarter";
        }
        else if (two >= 0)
        {
            if (two != (year + 1) % 100)
            {
                return (null, $"'{code}' is neither a month nor a financial year, which runs April to March: {year}-{(year + 1) % 100:00}");
            }
            from = new DateOnly(year, 4, 1);
            to = from.AddYears(1);
            grain = "financial-year";
        }
        else
        {
            from = new DateOnly(year, 1, 1);
            to = from.AddYears(1);
            grain = "year";
        }
        return (new StatisticsPeriod(code!, grain, Midnight(from, zone), Midnight(to, zone)), null);
    }

    /// <summary>The months, quarters and years (calendar and financial) that have ended or begun between two moments, oldest first.</summary>
    public static IReadOnlyList<StatisticsPeriod> Between(DateTimeOffset first, DateTimeOffset last, TimeZoneInfo zone)
    {
        var start = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(first, zone).DateTime);
        var end = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(last, zone).DateTime);
        var codes = new List<string>();
        for (var month = new DateOnly(start.Year, start.Month, 1); month <= end; month = month.AddMonths(1))
        {
            codes.Add($"{month.Year:0000}-{month.Month:00}");
            if (month.Month % 3 == 1)
            {
                codes.Add($"{month.Year:0000}-Q{(month.Month + 2) / 3}");
            }
            if (month.Month == 1)
            {
                codes.Add($"{month.Year:0000}");
            }
            if (month.Month == 4)
            {
                codes.Add($"{month.Year:0000}-{(month.Year + 1) % 100:00}");
            }
        }
        // A period under way when the records start counts too (the quarter, year and financial year of the first month).
        codes.Add($"{start.Year:0000}-Q{(start.Month + 2) / 3}");
        codes.Add($"{start.Year:0000}");
        var financial = start.Month >= 4 ? start.Year : start.Year - 1;
        codes.Add($"{financial:0000}-{(financial + 1) % 100:00}");
        return codes.Distinct(StringComparer.Ordinal).Select(c => Parse(c, zone).Period!).OrderBy(p => p.From).ThenByDescending(p => p.To).ToList();
    }

    private static DateTimeOffset Midnight(DateOnly day, TimeZoneInfo zone)
    {
        var wall = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(wall, zone.GetUtcOffset(wall)).ToUniversalTime();
    }
}
