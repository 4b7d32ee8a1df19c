using SharingHub.Core.Records;

namespace SharingHub.Core.People;

/// <summary>What linkage may compare of one agency's person record: blind indexes and plain metadata, never plaintext.</summary>
public sealed record LinkageCandidate(
    Guid Id,
    string Agency,
    PersonKind Kind,
    string? Sex,
    byte[]? FamilyName,
    byte[]? BirthDate,
    byte[]? Postcode,
    IReadOnlyList<(IdentifierKind Kind, byte[] Index)> Identifiers)
{
    /// <summary>The keyed encodings probabilistic linkage compares (<see cref="FellegiSunterModel"/>); none for a record written before them.</summary>
    public LinkageEncoding Encoding { get; init; } = LinkageEncoding.None;
}

/// <summary>Why two records are taken to be the same individual; the evidence is kept with every link.</summary>
public enum LinkBasis
{
    /// <summary>
    /// The same identifier (NHS number, UPN, PNC ID, CRN, LA id) on both, each asserted by the authority that
    /// issues it: the identifier alone decides.
    /// </summary>
    SharedIdentifier,

    /// <summary>
    /// The same identifier on both where at least one record was written by an agency that does not issue it
    /// (a police record carrying an NHS number): the identifier supports the link, and date of birth and
    /// kind must agree as well.
    /// </summary>
    IdentifierAndBirthDate,

    /// <summary>Family name, date of birth and kind (child or adult) agree.</summary>
    NameAndBirthDate,

    /// <summary>Date of birth, postcode, sex and kind agree while the family names differ (a typo or a changed surname).</summary>
    BirthDatePostcodeAndSex,

    /// <summary>
    /// One of the records was erased by its agency (its identity fields shredded); the link it had at that
    /// moment is kept, so the agency's entries are not lost from the child's chronology.
    /// </summary>
    KeptAtErasure,
}

public sealed record PersonLink(Guid From, Guid To, LinkBasis Basis);

/// <summary>
/// Deterministic record linkage over blind indexes. The rules are strict on purpose: a false link
/// shows one child's records in another child's chronology, which is worse than a missed link that a
/// practitioner can still find by searching. Same-sex twins with one address are a known false link.
/// </summary>
/// <remarks>
/// An identifier is evidence of identity only where its issuing authority asserts it: any writer can put
/// any NHS number on its own record, and if that decided a link, a writer could choose whose records it
/// reads. An identifier another agency asserts only supports a link that date of birth and kind confirm.
/// </remarks>
public static class LinkageRules
{
    /// <summary>The agency that issues each kind of identifier: only its assertion of one decides a link.</summary>
    public static string Issuer(IdentifierKind kind) => kind switch
    {
        IdentifierKind.NhsNumber => "health",
        IdentifierKind.Upn => "education",
        IdentifierKind.PncId => "police",
        IdentifierKind.Crn => "probation",
        IdentifierKind.LaPersonId => "la",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no issuer is known for this identifier kind"),
    };

    /// <summary>Whether <paramref name="record"/>'s own agency issues identifiers of <paramref name="kind"/>.</summary>
    public static bool Asserts(LinkageCandidate record, IdentifierKind kind)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Agency == Issuer(kind);
    }

    /// <summary>The strongest basis on which <paramref name="a"/> and <paramref name="b"/> are the same individual, or null.</summary>
    public static LinkBasis? Compare(LinkageCandidate a, LinkageCandidate b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Id == b.Id)
        {
            return null;
        }
        var shared = a.Identifiers.Where(x => b.Identifiers.Any(y => x.Kind == y.Kind && Same(x.Index, y.Index))).Select(x => x.Kind).Distinct().ToList();
        if (shared.Any(kind => Asserts(a, kind) && Asserts(b, kind)))
        {
            return LinkBasis.SharedIdentifier;
        }
        if (a.Kind != b.Kind || !Same(a.BirthDate, b.BirthDate))
        {
            return null;
        }
        if (shared.Count > 0)
        {
            return LinkBasis.IdentifierAndBirthDate;
        }
        if (Same(a.FamilyName, b.FamilyName))
        {
            return LinkBasis.NameAndBirthDate;
        }
        return Same(a.Postcode, b.Postcode) && a.Sex is not null && a.Sex == b.Sex ? LinkBasis.BirthDatePostcodeAndSex : null;
    }

    private static bool Same(byte[]? x, byte[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);
}

/// <summary>The records linked to some starting records, and the evidence for each link.</summary>
public sealed class LinkedPeople
{
    private readonly Dictionary<Guid, HashSet<Guid>> _clusters = [];

    public LinkedPeople(IEnumerable<Guid> starts, IReadOnlyList<PersonLink> links)
    {
        ArgumentNullException.ThrowIfNull(starts);
        Links = links;
        var adjacent = new Dictionary<Guid, List<Guid>>();
        foreach (var link in links)
        {
            Adjacent(adjacent, link.From).Add(link.To);
            Adjacent(adjacent, link.To).Add(link.From);
        }
        foreach (var start in starts)
        {
            if (_clusters.ContainsKey(start))
            {
                continue;
            }
            var cluster = new HashSet<Guid> { start };
            var queue = new Queue<Guid>([start]);
            while (queue.TryDequeue(out var next))
            {
                foreach (var other in adjacent.GetValueOrDefault(next, []))
                {
                    if (cluster.Add(other))
                    {
                        queue.Enqueue(other);
                    }
                }
            }
            foreach (var member in cluster)
            {
                _clusters[member] = cluster;
            }
        }
    }

    public IReadOnlyList<PersonLink> Links { get; }

    /// <summary>The records among these that their agency has erased, reached only by the links they had then.</summary>
    public IReadOnlySet<Guid> Erased => Links.Where(l => l.Basis == LinkBasis.KeptAtErasure).Select(l => l.From).ToHashSet();

    /// <summary>The records this linkage started from or reached.</summary>
    public IEnumerable<Guid> Known => _clusters.Keys;

    public bool Contains(Guid personId) => _clusters.ContainsKey(personId);

    /// <summary>This linkage and another, as one: clusters that share a record merge.</summary>
    public LinkedPeople Merge(LinkedPeople other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new LinkedPeople(Known.Concat(other.Known), Links.Concat(other.Links).DistinctBy(l => l.From.CompareTo(l.To) < 0 ? (l.From, l.To) : (l.To, l.From)).ToList());
    }

    /// <summary>Every record of the same individual as <paramref name="personId"/>, itself included.</summary>
    public IReadOnlySet<Guid> Of(Guid personId) => _clusters.TryGetValue(personId, out var cluster) ? cluster : new HashSet<Guid> { personId };

    /// <summary>The records of the same individuals as any of <paramref name="personIds"/>.</summary>
    public HashSet<Guid> Expand(IEnumerable<Guid> personIds) => personIds.SelectMany(Of).ToHashSet();

    private static List<Guid> Adjacent(Dictionary<Guid, List<Guid>> adjacent, Guid id)
    {
        if (!adjacent.TryGetValue(id, out var list))
        {
            list = [];
            adjacent[id] = list;
        }
        return list;
    }
}
