using System.Globalization;
using SharingHub.Core.Time;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Pages;

namespace SharingHub.Server.Statistics;

/// <summary>One month of a measure's trend: its label and the published figure (null when suppressed).</summary>
public sealed record TrendPoint(string Period, string Label, MeasureRow Row)
{
    /// <summary>The number the chart draws: a count, a share's percentage or a median; null when suppressed.</summary>
    public double? Value => Row.Suppressed ? null : Row.Unit switch { "share" => Row.Percent, "median-working-days" => Row.Median, _ => Row.Count };
}

/// <summary>A measure on the dashboard: its definition, the period's total, its breakdowns and its last twelve months.</summary>
public sealed record DashboardMeasure(MeasureDefinition Definition, MeasureRow Total, IReadOnlyList<(string Breakdown, IReadOnlyList<MeasureRow> Rows)> Breakdowns,
    IReadOnlyList<TrendPoint> Trend);

/// <summary>The dashboard of one period: the choice of periods, and the measures by area.</summary>
public sealed record DashboardView(StatisticsPeriod Period, string PeriodLabel, IReadOnlyList<(string Code, string Label)> Periods,
    IReadOnlyList<(string Area, IReadOnlyList<DashboardMeasure> Measures)> Areas);

/// <summary>
/// The managers' dashboard (/work/statistics/dashboard): the measures of a period with their last twelve months as charts
/// drawn on the server (SVG, no script) with the numbers in a table beside each, for the people who may read the measures
/// (action statistics.read) under the statistics purpose. The same figures, suppression and audit as the API.
/// </summary>
internal static class StatisticsPages
{
    public static RouteGroupBuilder MapStatisticsPages(this RouteGroupBuilder work)
    {
        work.MapGet("/{purpose}/dashboard", DashboardAsync).Audited("page.statistics").Takes(HubActions.StatisticsRead);
        return work;
    }

    private static async Task<IResult> DashboardAsync(string purpose, HttpContext http, PolicyDecisionPoint policy, MeasureCalculator calculator, WorkingCalendar calendar,
        TimeProvider clock, AuditScope audit, string? period)
    {
        if (StatisticsEndpoints.PurposeRefusal(http, policy, audit) is { } refusal)
        {
            return refusal;
        }
        var now = clock.GetUtcNow();
        var choices = Choices(now, calendar.Zone);
        var (chosen, problem) = StatisticsPeriod.Parse(period ?? choices.First(c => c.Grain == "financial-year").Code, calendar.Zone);
        if (chosen is null)
        {
            return ApiErrors.For(http, new ApiError(400, "invalid_period", "Period", $"Choose a period from the list: the {problem}."));
        }
        // The twelve months to the end of the period (or to this month, for a period not yet over).
        var last = chosen.To < now ? chosen.To.AddTicks(-1) : now;
        var local = TimeZoneInfo.ConvertTime(last, calendar.Zone);
        var months = Enumerable.Range(0, 12).Select(i => new DateOnly(local.Year, local.Month, 1).AddMonths(i - 11))
            .Select(m => StatisticsPeriod.Parse($"{m.Year:0000}-{m.Month:00}", calendar.Zone).Period!).ToList();
        var periods = months.Append(chosen).DistinctBy(p => p.Code).ToList();
        var cells = await calculator.ComputeAsync(periods, http.RequestAborted);
        var rows = periods.ToDictionary(p => p.Code, p => SmallNumbers.Control(p.Code, cells[p.Code]));
        var areas = Measures.All.GroupBy(m => m.Area).Select(area => (area.Key, (IReadOnlyList<DashboardMeasure>)area.Select(m =>
        {
            var mine = rows[chosen.Code].Where(r => r.Measure == m.Code).ToList();
            var total = mine.Single(r => r.Breakdown == Measures.Total);
            var breakdowns = m.Breakdowns.Where(b => b != Measures.Total)
                .Select(b => (b, (IReadOnlyList<MeasureRow>)mine.Where(r => r.Breakdown == b).ToList())).ToList();
            var trend = months.Select(p => new TrendPoint(p.Code, TimeZoneInfo.ConvertTime(p.From, calendar.Zone).ToString("MMM yyyy", CultureInfo.InvariantCulture),
                rows[p.Code].Single(r => r.Measure == m.Code && r.Breakdown == Measures.Total))).ToList();
            return new DashboardMeasure(m, total, breakdowns, trend);
        }).ToList())).ToList();
        audit.Count = rows.Values.Sum(r => r.Count);
        return PageEndpoints.Render<StatisticsDashboardPage>(200, new()
        {
            ["User"] = PageEndpoints.UserOf(http, policy, StatisticsEndpoints.Purpose),
            ["View"] = new DashboardView(chosen, Label(chosen, calendar.Zone), choices.Select(c => (c.Code, Label(c, calendar.Zone))).ToList(), areas),
        });
    }

    /// <summary>The periods offered: the financial and calendar years, quarters and months of the last three years, newest first.</summary>
    private static List<StatisticsPeriod> Choices(DateTimeOffset now, TimeZoneInfo zone) =>
        StatisticsPeriod.Between(now.AddYears(-3), now, zone)
            .OrderBy(p => p.Grain switch { "financial-year" => 0, "year" => 1, "quarter" => 2, _ => 3 }).ThenByDescending(p => p.From).ToList();

    public static string Label(StatisticsPeriod p, TimeZoneInfo zone)
    {
        var from = TimeZoneInfo.ConvertTime(p.From, zone);
        return p.Grain switch
        {
            "financial-year" => $"Financial year {p.Code} (April {from.Year} to March {from.Year + 1})",
            "year" => $"{from.Year}",
            "quarter" => $"{from.ToString("MMMM", CultureInfo.InvariantCulture)} to {from.AddMonths(2).ToString("MMMM yyyy", CultureInfo.InvariantCulture)}",
            _ => from.ToString("MMMM yyyy", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>A figure in words: a count, a share with its numbers, a median with its cases; suppressed figures say so.</summary>
    public static string Figure(MeasureRow row) => row.Suppressed ? "Fewer than 5, or would show one: not shown"
        : row.Unit switch
        {
            "share" => row.Denominator is 0 ? "None" : $"{row.Percent:0.#}% ({row.Count:N0} of {row.Denominator:N0})",
            "median-working-days" => row.Median is null ? "None" : $"{row.Median:0.#} working days (over {row.Count:N0})",
            _ => $"{row.Count:N0}",
        };

    /// <summary>An SVG text element under a bar (Razor reserves the element's name, so it is written as markup here).</summary>
    public static Microsoft.AspNetCore.Components.MarkupString AxisLabel(int x, string label) =>
        new($"<text x=\"{x}\" y=\"155\" font-size=\"9\" text-anchor=\"middle\" fill=\"#0b0c0c\">{System.Net.WebUtility.HtmlEncode(label)}</text>");

    /// <summary>The headings of the areas and the words of the measures' codes.</summary>
    public static string Area(string area) => area switch
    {
        "front-door" => "The front door",
        "section-47" => "Strategy discussions and section 47 enquiries",
        "plans" => "Child protection plans",
        "information-sharing" => "Information sharing",
        "fgdm" => "Family group decision making",
        "family-help" => "Family Help",
        _ => PageText.Words(area),
    };
}
