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

/// <summary>Why two records are taken to be the same individual; the evidence is kept with every link (PersonPairs).</summary>
public enum LinkBasis
{
    /// <summary>Scored as one individual (<see cref="FellegiSunterModel"/>): the same identifier asserted by its issuer on both, or enough agreement.</summary>
    Probabilistic,

    /// <summary>A person of the council's data team confirmed the link (a person's decision always beats the score).</summary>
    Confirmed,

    /// <summary>
    /// One of the records was erased by its agency (its identity fields shredded); the link it had at that
    /// moment is kept, so the agency's entries are not lost from the child's chronology.
    /// </summary>
    KeptAtErasure,
}

public sealed record PersonLink(Guid From, Guid To, LinkBasis Basis);

/// <summary>
/// Who issues each kind of identifier. An identifier is evidence of identity only where its issuing authority asserts it:
/// any writer can put any NHS number on its own record, and if that decided a link, a writer could choose whose records it
/// reads. Another agency's claim of an identifier only adds weight that the other fields must confirm.
/// </summary>
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

    /// <summary>The identifiers <paramref name="record"/>'s own agency issued (those that decide, never a claim), as comparable keys.</summary>
    public static IEnumerable<(IdentifierKind Kind, string Index)> Asserted(LinkageCandidate record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Identifiers.Where(i => Asserts(record, i.Kind)).Select(i => (i.Kind, Convert.ToBase64String(i.Index)));
    }

    /// <summary>
    /// Whether these identifiers, taken as one individual's, hold two different identifiers of one kind each asserted by its
    /// issuer (two NHS numbers, two council person ids): records that would bring them together are never linked
    /// automatically, however well they score pair by pair. Linkage scores pairs; this keeps the individual they join
    /// consistent, so two namesakes born on one day are not made one through a third record like both.
    /// </summary>
    public static bool Conflict(IEnumerable<(IdentifierKind Kind, string Index)> asserted)
    {
        ArgumentNullException.ThrowIfNull(asserted);
        return asserted.Distinct().GroupBy(i => i.Kind).Any(g => g.Count() > 1);
    }

    /// <summary>
    /// A score that would link, held for a person instead because the link would join records with different asserted
    /// identifiers of one kind (<see cref="Conflict"/>); its evidence says why. Any other outcome is returned as it is.
    /// </summary>
    public static LinkageScore Hold(LinkageScore score)
    {
        ArgumentNullException.ThrowIfNull(score);
        return score.Outcome == LinkageOutcome.Link
            ? score with { Outcome = LinkageOutcome.Review, Veto = "would join records with different verified identifiers of one kind" }
            : score;
    }
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

    /// <summary>Records among these with a possible match that a person has yet to review: what is shown of them may be incomplete.</summary>
    public IReadOnlySet<Guid> PendingReview { get; init; } = new HashSet<Guid>();

    /// <summary>Whether any record of <paramref name="personId"/>'s individual awaits a person's review of a possible match.</summary>
    public bool MayBeIncomplete(Guid personId) => Of(personId).Overlaps(PendingReview);

    /// <summary>The records among these that their agency has erased, reached only by the links they had then.</summary>
    public IReadOnlySet<Guid> Erased => Links.Where(l => l.Basis == LinkBasis.KeptAtErasure).Select(l => l.From).ToHashSet();

    /// <summary>The records this linkage started from or reached.</summary>
    public IEnumerable<Guid> Known => _clusters.Keys;

    public bool Contains(Guid personId) => _clusters.ContainsKey(personId);

    /// <summary>This linkage and another, as one: clusters that share a record merge.</summary>
    public LinkedPeople Merge(LinkedPeople other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new LinkedPeople(Known.Concat(other.Known), Links.Concat(other.Links).DistinctBy(l => l.From.CompareTo(l.To) < 0 ? (l.From, l.To) : (l.To, l.From)).ToList())
        {
            PendingReview = PendingReview.Union(other.PendingReview).ToHashSet(),
        };
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
