namespace SharingHub.Server.Statistics;

/// <summary>One figure as it is published: suppressed figures carry no number, only that they were suppressed.</summary>
public sealed record MeasureRow(string Period, string Area, string Measure, string Unit, string Breakdown, string Category,
    int? Count, int? Denominator, double? Percent, double? Median, bool Suppressed);

/// <summary>
/// Statistical disclosure control as official statistics apply it (the GSS and the DfE's children's social care
/// statistics): a count from 1 to 4 is suppressed (primary suppression), as is a share whose numerator, denominator or
/// the difference between them is one, and a median over fewer than 5 cases. Within a breakdown that adds up to a
/// published total, one suppressed cell could be worked out by subtraction, so the next smallest cell is suppressed
/// with it (secondary suppression). Zeros are published: a zero says nothing about anyone.
/// </summary>
public static class SmallNumbers
{
    public const int Threshold = 5;

    private static bool Small(int n) => n is > 0 and < Threshold;

    /// <summary>The cells of one period, with small numbers controlled.</summary>
    public static List<MeasureRow> Control(string period, IReadOnlyList<Cell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var suppressed = cells.Select(Primary).ToArray();
        foreach (var group in cells.Select((cell, index) => (cell, index)).Where(x => x.cell.Breakdown != Measures.Total)
            .GroupBy(x => (x.cell.Measure, x.cell.Breakdown)))
        {
            var total = cells.Select((cell, index) => (cell, index)).FirstOrDefault(x => x.cell.Measure == group.Key.Measure && x.cell.Breakdown == Measures.Total);
            if (total.cell is null || suppressed[total.index] || group.Count(x => suppressed[x.index]) != 1)
            {
                continue;
            }
            // The one suppressed cell would be the total less the others: hide the smallest other cell that holds anyone.
            var partner = group.Where(x => !suppressed[x.index] && (x.cell.Denominator ?? x.cell.Count) > 0)
                .OrderBy(x => x.cell.Denominator ?? x.cell.Count).ThenBy(x => x.cell.Category, StringComparer.Ordinal).FirstOrDefault();
            if (partner.cell is not null)
            {
                suppressed[partner.index] = true;
            }
        }
        return cells.Select((cell, index) =>
        {
            var definition = Measures.Find(cell.Measure)!;
            var unit = definition.Unit switch { MeasureUnit.Share => "share", MeasureUnit.MedianWorkingDays => "median-working-days", _ => "count" };
            return suppressed[index]
                ? new MeasureRow(period, definition.Area, cell.Measure, unit, cell.Breakdown, cell.Category, null, null, null, null, true)
                : new MeasureRow(period, definition.Area, cell.Measure, unit, cell.Breakdown, cell.Category, cell.Count, cell.Denominator,
                    cell.Denominator is > 0 and var d ? Math.Round(100.0 * cell.Count / d, 1) : null, cell.Median, false);
        }).ToList();
    }

    private static bool Primary(Cell cell) =>
        Small(cell.Count)
        || (cell.Denominator is { } d && (Small(d) || Small(d - cell.Count)))
        || (cell.Median is not null && cell.Count < Threshold);
}
