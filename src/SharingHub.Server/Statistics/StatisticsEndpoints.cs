using System.Globalization;
using System.Text;
using SharingHub.Core.Time;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Statistics;

/// <summary>The measures of one period as the API answers them: the period, the rule of suppression, the definitions and the rows.</summary>
public sealed record MeasuresAnswer(string Period, string Grain, DateTimeOffset From, DateTimeOffset To, int SuppressedBelow, IReadOnlyList<MeasureDefinition> Measures,
    IReadOnlyList<MeasureRow> Rows);

/// <summary>
/// The partnership's measures for managers and the DfE's returns (issue 29), for the council's analysts (action
/// statistics.read) under the statistics purpose, which reads aggregates only: JSON, or CSV for spreadsheets. Each
/// request is audited as statistics.read with its purpose and the number of figures given; no person is named in it,
/// as none is in the answer.
/// </summary>
internal static class StatisticsEndpoints
{
    public const string Purpose = "statistics";

    public static IServiceCollection AddSharingHubStatistics(this IServiceCollection services)
    {
        services.AddOptions<StatisticsOptions>().BindConfiguration(StatisticsOptions.Section)
            .Validate(o => o.PageSize is >= 10 and <= 10_000, $"{StatisticsOptions.Section}:PageSize is 10 to 10,000").ValidateOnStart();
        services.AddSingleton<MeasureCalculator>();
        services.AddSingleton<StatisticsSnapshots>();
        // The feed answers in OData's error format, like /odata.
        ApiErrors.AddApiErrorFormat(services, StatisticsFeed.Base, error => OData.ODataPayload.Error(error.Status, error.Status switch
        {
            403 => OData.ODataErrors.Forbidden,
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            >= 500 => "InternalError",
            _ => error.Code,
        }, error.Detail));
        return services;
    }

    public static WebApplication MapStatistics(this WebApplication app)
    {
        var feed = app.MapGroup(StatisticsFeed.Base);
        feed.MapGet("/", (Func<HttpContext, Task<IResult>>)ServiceDocumentAsync).AllowAnonymous()
            .ExcludeFromDescription();
        feed.MapGet("/$metadata", (HttpContext http) => OData.ODataEndpoints.Metadata(http, StatisticsFeed.Model)).AllowAnonymous().ExcludeFromDescription();
        feed.MapGet("/{**path}", FeedAsync).RequireAuthorization().Audited("statistics.read").Takes(HubActions.StatisticsRead).ExcludeFromDescription();
        app.MapGet("/statistics/measures", JsonAsync).RequireAuthorization().WithTags("Statistics")
            .Audited("statistics.read").Takes(HubActions.StatisticsRead)
            .Answers<MeasuresAnswer>(200, "The measures of a period (period=2026-05, 2026-Q2, 2026 or 2026-27), small numbers suppressed", 400, 403);
        app.MapGet("/statistics/measures.csv", CsvAsync).RequireAuthorization().WithTags("Statistics")
            .Audited("statistics.read").Takes(HubActions.StatisticsRead)
            .Produces(200, contentType: "text/csv").ProducesProblem(400).ProducesProblem(403);
        return app;
    }

    private static Task<IResult> ServiceDocumentAsync(HttpContext http) =>
        OData.ODataPayload.ServiceDocumentAsync(StatisticsFeed.Model, StatisticsFeed.ServiceRoot(http));

    private static async Task<IResult> FeedAsync(HttpContext http, PolicyDecisionPoint policy, StatisticsSnapshots snapshots, AuditScope audit) =>
        PurposeRefusal(http, policy, audit) ?? await StatisticsFeed.ReadAsync(http, snapshots);

    private static async Task<IResult> JsonAsync(HttpContext http, PolicyDecisionPoint policy, MeasureCalculator calculator, WorkingCalendar calendar, AuditScope audit,
        string? period)
    {
        var (answer, refusal) = await AnswerAsync(http, policy, calculator, calendar, audit, period);
        return refusal ?? Results.Json(answer);
    }

    private static async Task<IResult> CsvAsync(HttpContext http, PolicyDecisionPoint policy, MeasureCalculator calculator, WorkingCalendar calendar, AuditScope audit,
        string? period)
    {
        var (answer, refusal) = await AnswerAsync(http, policy, calculator, calendar, audit, period);
        if (refusal is not null)
        {
            return refusal;
        }
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"sharinghub-measures-{answer!.Period}.csv\"";
        return Results.Text(Csv(answer.Rows), "text/csv; charset=utf-8");
    }

    /// <summary>The CSV of measure rows: one header, one line per figure; a suppressed figure's numbers are empty.</summary>
    internal static string Csv(IEnumerable<MeasureRow> rows)
    {
        static string Number(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";
        var csv = new StringBuilder("period,area,measure,unit,breakdown,category,count,denominator,percent,median,suppressed\r\n");
        foreach (var r in rows)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{r.Period},{r.Area},{r.Measure},{r.Unit},{r.Breakdown},{Field(r.Category)},{Number(r.Count)},{Number(r.Denominator)},{Number(r.Percent)},{Number(r.Median)},{(r.Suppressed ? "true" : "false")}\r\n");
        }
        return csv.ToString();
    }

    /// <summary>A category as a CSV field: quoted when it holds a comma or a quote, and never read as a formula by a spreadsheet.</summary>
    private static string Field(string value)
    {
        var text = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }

    /// <summary>
    /// The measures are read under the statistics purpose and no other. A request that names none reads under it (the path
    /// says why it is made, and Excel's and Power BI's OData connectors send no custom header); one that names another
    /// purpose is refused. Either way the caller's roles must be allowed the purpose, and the audit entry records it.
    /// </summary>
    internal static IResult? PurposeRefusal(HttpContext http, PolicyDecisionPoint policy, AuditScope audit)
    {
        // A page names its purpose in its address (the request scope is set); an API request in its header, or not at all.
        if (http.Features.Get<RequestScope>() is null && http.Request.Headers[PurposeOfUse.PurposeHeader].Count == 0)
        {
            http.Features.Set(new RequestScope(Purpose, "", "", ""));
        }
        var (purpose, _, problem) = PurposeOfUse.Parse(http, policy);
        if (problem is not null)
        {
            return problem.Refusal(http);
        }
        audit.Purpose = purpose;
        return purpose == Purpose ? null : ApiErrors.For(http, new ApiError(400, "purpose_not_statistics", "Purpose of use",
            $"the measures are read under the purpose '{Purpose}', which reads aggregates only, not '{purpose}'"));
    }

    private static async Task<(MeasuresAnswer? Answer, IResult? Refusal)> AnswerAsync(HttpContext http, PolicyDecisionPoint policy, MeasureCalculator calculator,
        WorkingCalendar calendar, AuditScope audit, string? period)
    {
        if (PurposeRefusal(http, policy, audit) is { } refusal)
        {
            return (null, refusal);
        }
        var (parsed, wrong) = StatisticsPeriod.Parse(period, calendar.Zone);
        if (parsed is null)
        {
            return (null, ApiErrors.For(http, new ApiError(400, "invalid_period", "Period", wrong!)));
        }
        var cells = await calculator.ComputeAsync([parsed], http.RequestAborted);
        var rows = SmallNumbers.Control(parsed.Code, cells[parsed.Code]);
        audit.Count = rows.Count;
        return (new MeasuresAnswer(parsed.Code, parsed.Grain, parsed.From, parsed.To, SmallNumbers.Threshold, Measures.All, rows), null);
    }
}
