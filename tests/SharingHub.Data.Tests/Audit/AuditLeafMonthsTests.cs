using SharingHub.Data.Audit;

namespace SharingHub.Data.Tests.Audit;

/// <summary>Which month's partition a proof reads its leaves from: the one whose range holds them, or none (the whole log).</summary>
public sealed class AuditLeafMonthsTests
{
    private static readonly DateTimeOffset January = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly AuditMonthRange[] Months =
    [
        new(January, 1, 100),
        new(January.AddMonths(1), 101, 250),
        new(January.AddMonths(3), 260, 300),
    ];

    [Theory]
    [InlineData(1, 0)]
    [InlineData(100, 0)]
    [InlineData(101, 1)]
    [InlineData(250, 1)]
    [InlineData(300, 3)]
    [InlineData(301, 3)]
    [InlineData(5_000_000, 3)]
    public void Given_a_sequence_in_a_months_range_or_past_them_all_then_that_month_or_the_latest(long sequence, int month) =>
        Assert.Equal(January.AddMonths(month), AuditLeafMonths.Month(Months, [sequence]));

    [Fact]
    public void Given_leaves_in_one_month_then_that_month_and_in_two_months_then_none() =>
        Assert.Multiple(
            () => Assert.Equal(January.AddMonths(1), AuditLeafMonths.Month(Months, [101, 102])),
            () => Assert.Null(AuditLeafMonths.Month(Months, [100, 101])));

    [Fact]
    public void Given_a_sequence_between_ranges_overlapping_ranges_or_no_ranges_then_none()
    {
        Assert.Null(AuditLeafMonths.Month(Months, [255]));
        AuditMonthRange[] overlapping = [new(January, 1, 120), new(January.AddMonths(1), 101, 250)];
        Assert.Null(AuditLeafMonths.Month(overlapping, [110]));
        Assert.Equal(January, AuditLeafMonths.Month(overlapping, [100]));
        Assert.Null(AuditLeafMonths.Month([], [5]));
    }

    [Fact]
    public void Given_a_month_then_its_table_is_named_as_the_migration_names_it() =>
        Assert.Equal("\"AuditEntries_2026_02\"", AuditLeafMonths.Table(January.AddMonths(1)));
}
