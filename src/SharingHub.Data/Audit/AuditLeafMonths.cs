namespace SharingHub.Data.Audit;

/// <summary>One month's partition of the audit log and the sequence numbers it held when last looked at.</summary>
internal sealed record AuditMonthRange(DateTimeOffset First, long Min, long Max);

/// <summary>
/// Which month's partition to look in for audit entries by sequence number, on PostgreSQL. The log is partitioned by the
/// month an entry was recorded, and a lookup by sequence through the partitioned table reaches every month: planned
/// afresh it was planned against each of them, prepared it still locks each of them and their indexes whenever it runs (a
/// prepared statement's plan covers all partitions; PostgreSQL 15 skips the pruned ones only after locking them). Sequence
/// numbers grow with time, so each month's range of them says which month holds a given entry, and the lookup goes to that
/// month's table alone. The guess comes from what the months held when last read: a caller that misses an entry there asks
/// the whole log, so a wrong guess costs time, never an answer.
/// </summary>
internal static class AuditLeafMonths
{
    /// <summary>
    /// The one month whose partition should hold every one of <paramref name="sequences"/>: the month whose range holds
    /// each; for one past every range, the month that held the highest sequence (the month being written). Null when no
    /// single month does: ranges that overlap there (entries recorded late into the month before), a sequence in no range
    /// and not past them all (the default partition, an empty month), leaves in two months, or no ranges.
    /// </summary>
    public static DateTimeOffset? Month(IReadOnlyList<AuditMonthRange> months, IEnumerable<long> sequences)
    {
        if (months.Count == 0)
        {
            return null;
        }
        var latest = months.MaxBy(m => m.Max)!;
        DateTimeOffset? chosen = null;
        foreach (var sequence in sequences)
        {
            DateTimeOffset? month = null;
            if (sequence > latest.Max)
            {
                month = latest.First;
            }
            else
            {
                foreach (var candidate in months)
                {
                    if (candidate.Min <= sequence && sequence <= candidate.Max)
                    {
                        if (month is not null)
                        {
                            return null;
                        }
                        month = candidate.First;
                    }
                }
            }
            if (month is null || (chosen is not null && chosen != month))
            {
                return null;
            }
            chosen = month;
        }
        return chosen;
    }

    /// <summary>The partition's table name, as the migration's <c>sharinghub_audit_partition</c> makes it, quoted for SQL.</summary>
    public static string Table(DateTimeOffset month) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\"AuditEntries_{month.Year:D4}_{month.Month:D2}\"");
}
