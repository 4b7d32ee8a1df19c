namespace SharingHub.Core.People;

/// <summary>
/// Which records a new record is compared with. Each blocking key is specific enough that its set stays small at any
/// population size: the birth date with the family name's sound, with the given name, or with the postcode sector; a
/// swapped birth date with the family name's sound; the birth month with both names exact; and each identifier. A record
/// is compared only with records that share one of its keys, and with at most <see cref="PerKey"/> of each key's records,
/// so the work to link one record does not grow with the population. The database applies the same keys (PersonLinker).
/// </summary>
public sealed class LinkageBlocking
{
    /// <summary>At most this many records are read from one key (a very common name born on one day).</summary>
    public const int PerKey = 64;

    private readonly Dictionary<string, List<int>> _buckets = new(StringComparer.Ordinal);

    /// <summary>The keys a record is found under (and looks under).</summary>
    public static IEnumerable<string> Keys(LinkageCandidate record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var e = record.Encoding;
        static string Key(string tag, params byte[]?[] parts) => parts.Any(p => p is null) ? "" : tag + string.Concat(parts.Select(p => Convert.ToBase64String(p!)));
        var keys = new List<string>
        {
            Key("bf", record.BirthDate, e.FamilyPhonetic),
            // A swapped birth date meets the other record's own birth date under the same key, whichever arrives first.
            Key("bf", e.BirthDateSwapped, e.FamilyPhonetic),
            Key("bg", record.BirthDate, e.GivenName),
            Key("bp", record.BirthDate, e.PostcodeSector),
            Key("mn", e.BirthYearMonth, record.FamilyName, e.GivenName),
        };
        keys.AddRange(record.Identifiers.Select(i => Key("id" + i.Kind, i.Index)));
        return keys.Where(k => k.Length > 0).Distinct(StringComparer.Ordinal);
    }

    public void Add(LinkageCandidate record, int id)
    {
        foreach (var key in Keys(record))
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                bucket = [];
                _buckets[key] = bucket;
            }
            bucket.Add(id);
        }
    }

    /// <summary>The records added so far that share a key with <paramref name="record"/> (the latest of each key first).</summary>
    public IEnumerable<int> Candidates(LinkageCandidate record)
    {
        var seen = new HashSet<int>();
        foreach (var key in Keys(record))
        {
            if (_buckets.TryGetValue(key, out var bucket))
            {
                for (var k = bucket.Count - 1; k >= 0 && k >= bucket.Count - PerKey; k--)
                {
                    if (seen.Add(bucket[k]))
                    {
                        yield return bucket[k];
                    }
                }
            }
        }
    }
}
