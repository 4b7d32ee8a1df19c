namespace SharingHub.Core.People;

/// <summary>
/// How common each family name and given name is among the records seen, for term-frequency adjustment: two unrelated
/// people agree on a name about as often as it occurs. A given name is weighed among people born the same month where
/// there are enough of them, because given names follow the year of birth (two children born in one month agree on a name
/// of that year far more often than its share of the whole population says). Counts of keyed indexes only.
/// </summary>
public sealed class LinkageFrequencies
{
    /// <summary>Below this many records, or this many born in a month, the model's own u is used instead.</summary>
    public const int MinimumRecords = 1_000;
    public const int MinimumCohort = 50;

    private readonly Dictionary<string, int> _family = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _given = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _cohort = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _givenInCohort = new(StringComparer.Ordinal);
    private int _records;

    public void Add(LinkageCandidate record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _records++;
        Count(_family, record.FamilyName);
        Count(_given, record.Encoding.GivenName);
        Count(_cohort, record.Encoding.BirthYearMonth);
        Count(_givenInCohort, Join(record.Encoding.GivenName, record.Encoding.BirthYearMonth));
    }

    public double? FamilyShare(LinkageCandidate record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Share(_family, record.FamilyName, _records, MinimumRecords);
    }

    public double? GivenShare(LinkageCandidate record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var cohort = record.Encoding.BirthYearMonth is { } month ? _cohort.GetValueOrDefault(Convert.ToBase64String(month)) : 0;
        return Share(_givenInCohort, Join(record.Encoding.GivenName, record.Encoding.BirthYearMonth), cohort, MinimumCohort)
            ?? Share(_given, record.Encoding.GivenName, _records, MinimumRecords);
    }

    /// <summary>The share of <paramref name="count"/> records among <paramref name="total"/>, or null where there are too few to say.</summary>
    public static double? Share(long count, long total, int minimum) => total < minimum ? null : Math.Max(1, count) / (double)total;

    /// <summary>The key a given name is counted under within its birth month.</summary>
    public static byte[]? Join(byte[]? given, byte[]? month) => given is null || month is null ? null : [.. given, .. month];

    private static double? Share(Dictionary<string, int> counts, byte[]? value, long total, int minimum) =>
        value is null ? null : Share(counts.GetValueOrDefault(Convert.ToBase64String(value)), total, minimum);

    private static void Count(Dictionary<string, int> counts, byte[]? value)
    {
        if (value is not null)
        {
            var key = Convert.ToBase64String(value);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
    }
}
