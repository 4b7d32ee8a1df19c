using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace SharingHub.Server.Fhir;

/// <summary>A FHIR date search value as the half-open range it covers: "2026-10" is all of October.</summary>
internal readonly record struct DateRange(string Prefix, DateTimeOffset Start, DateTimeOffset End)
{
    private static readonly string[] Prefixes = ["eq", "ge", "le", "gt", "lt"];

    public const int MinYear = 1000;
    public const int MaxYear = 9000;

    public static bool TryParse(string text, out DateRange range)
    {
        range = default;
        var prefix = text.Length > 2 && Prefixes.Contains(text[..2]) ? text[..2] : "eq";
        var value = prefix == "eq" && !text.StartsWith("eq", StringComparison.Ordinal) ? text : text[2..];
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        // Beyond these years a range's end would overflow and no record can fall there: not a date to search by.
        if (value.Length < 4 || !int.TryParse(value.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year) || year is < MinYear or > MaxYear)
        {
            return false;
        }
        DateTimeOffset start;
        DateTimeOffset end;
        if (value.Length == 4 && DateTimeOffset.TryParseExact(value, "yyyy", CultureInfo.InvariantCulture, styles, out start))
        {
            end = start.AddYears(1);
        }
        else if (value.Length == 7 && DateTimeOffset.TryParseExact(value, "yyyy-MM", CultureInfo.InvariantCulture, styles, out start))
        {
            end = start.AddMonths(1);
        }
        else if (value.Length == 10 && DateTimeOffset.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, styles, out start))
        {
            end = start.AddDays(1);
        }
        else if (value.Length > 10 && value.Contains('T', StringComparison.Ordinal) && (value.EndsWith('Z') || value[^6] is '+' or '-')
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, styles, out start))
        {
            end = start.AddTicks(10);
        }
        else
        {
            return false;
        }
        range = new DateRange(prefix, start, end);
        return true;
    }

    /// <summary>The bounds a stored instant must fall within: [From, To).</summary>
    public (DateTimeOffset? From, DateTimeOffset? To) Bounds => Prefix switch
    {
        "ge" => (Start, null),
        "gt" => (End, null),
        "le" => (null, End),
        "lt" => (null, Start),
        _ => (Start, End),
    };
}

/// <summary>
/// The search parameters of one request, checked against what the type supports. Anything unknown is
/// refused rather than ignored: a partner that misspells a filter must not get the unfiltered set.
/// </summary>
internal sealed class SearchParameters
{
    public const int DefaultCount = 20;
    public const int MaxCount = 100;
    public const int MaxOffset = 10_000;
    private static readonly string[] Paging = ["_count", "_offset", "_sort", "_total", "_summary", "_elements"];
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public int Count { get; private set; } = DefaultCount;
    public int Offset { get; private set; }
    public string? Sort { get; private set; }
    public string? Error { get; private set; }
    public FhirShaping Shaping { get; private set; } = FhirShaping.Whole;

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var v) ? v : [];

    public string? One(string name) => _values.TryGetValue(name, out var v) ? v[0] : null;

    public IEnumerable<string> Names => _values.Keys;

    /// <summary>Comma-separated alternatives of a token parameter (category=a,b means a or b).</summary>
    public IReadOnlyList<string> AnyOf(string name) => One(name)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];

    public static SearchParameters Parse(IEnumerable<KeyValuePair<string, StringValues>> query, IReadOnlyCollection<string> supported,
        IReadOnlyCollection<string> repeatable, IReadOnlyCollection<string> sorts)
    {
        var result = new SearchParameters();
        foreach (var (name, values) in query)
        {
            if (name is "_format")
            {
                continue;
            }
            var modifier = name.IndexOf(':', StringComparison.Ordinal);
            if (modifier >= 0)
            {
                return result.Fail($"search parameter modifier '{Safe(name)}' is not supported");
            }
            if (!supported.Contains(name) && !Paging.Contains(name))
            {
                return result.Fail($"unknown or unsupported search parameter '{Safe(name)}'; supported: {string.Join(", ", supported.Concat(Paging))}");
            }
            if (values.Count > 1 && !repeatable.Contains(name))
            {
                return result.Fail($"search parameter '{Safe(name)}' may be given once");
            }
            if (values.Any(string.IsNullOrWhiteSpace))
            {
                return result.Fail($"search parameter '{Safe(name)}' needs a value");
            }
            result._values[name] = values.Select(v => v!).ToList();
        }
        if (result.One("_count") is { } count)
        {
            if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 0 || n > MaxCount)
            {
                return result.Fail($"_count must be a whole number from 0 to {MaxCount}");
            }
            result.Count = n;
        }
        if (result.One("_offset") is { } offset)
        {
            if (!int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > MaxOffset)
            {
                return result.Fail($"_offset must be a whole number from 0 to {MaxOffset}");
            }
            result.Offset = n;
        }
        if (result.One("_sort") is { } sort)
        {
            if (!sorts.Contains(sort))
            {
                return result.Fail($"_sort '{Safe(sort)}' is not supported; use one of: {string.Join(", ", sorts)}");
            }
            result.Sort = sort;
        }
        if (result.One("_total") is { } total && total is not ("accurate" or "none" or "estimate"))
        {
            return result.Fail("_total must be none, estimate or accurate");
        }
        var (shaping, shapeError) = FhirShaping.Parse(result.One("_summary"), result.One("_elements"));
        if (shapeError is not null)
        {
            return result.Fail(shapeError);
        }
        result.Shaping = shaping;
        result._values.Remove("_summary");
        result._values.Remove("_elements");
        result._values.Remove("_count");
        result._values.Remove("_offset");
        result._values.Remove("_sort");
        result._values.Remove("_total");
        return result;
    }

    public static string Safe(string text) => new(text.Take(40).Where(c => !char.IsControl(c)).ToArray());

    private SearchParameters Fail(string error)
    {
        Error = error;
        return this;
    }
}
