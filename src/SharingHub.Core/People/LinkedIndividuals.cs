using SharingHub.Core.Records;

namespace SharingHub.Core.People;

/// <summary>
/// The individuals that links have made among records held in memory (numbered 0 to n-1), each with the identifiers its
/// records' issuers asserted: how linking every record at once (a demo load, a backfill, the benchmark) keeps the rule a
/// write keeps (PersonLinker): links that would bring two different asserted identifiers of one kind into one individual,
/// through a record like both, wait for a person instead (<see cref="LinkageRules.Hold"/>).
/// </summary>
public sealed class LinkedIndividuals
{
    private readonly int[] _parent;
    private readonly List<(IdentifierKind Kind, string Index)>[] _asserted;

    public LinkedIndividuals(IReadOnlyList<LinkageCandidate> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        _parent = Enumerable.Range(0, records.Count).ToArray();
        _asserted = records.Select(r => LinkageRules.Asserted(r).ToList()).ToArray();
    }

    /// <summary>The individual <paramref name="record"/> belongs to (one of its records stands for it).</summary>
    public int Find(int record)
    {
        while (_parent[record] != record)
        {
            _parent[record] = _parent[_parent[record]];
            record = _parent[record];
        }
        return record;
    }

    /// <summary>Whether the two records are one individual through the links joined so far.</summary>
    public bool Together(int a, int b) => Find(a) == Find(b);

    /// <summary>
    /// Whether linking <paramref name="record"/> to each of <paramref name="others"/> would make one individual holding two
    /// different asserted identifiers of one kind (theirs, everything already joined to them, and this record's).
    /// </summary>
    public bool WouldConflict(int record, IEnumerable<int> others)
    {
        ArgumentNullException.ThrowIfNull(others);
        var joined = others.Select(Find).Append(Find(record)).Distinct().ToList();
        return joined.Count > 1 && LinkageRules.Conflict(joined.SelectMany(r => _asserted[r]));
    }

    /// <summary>Makes the two records one individual, holding the identifiers of both.</summary>
    public void Join(int a, int b)
    {
        var (ra, rb) = (Find(a), Find(b));
        if (ra == rb)
        {
            return;
        }
        _asserted[rb] = _asserted[ra].Union(_asserted[rb]).ToList();
        _asserted[ra] = [];
        _parent[ra] = rb;
    }
}
