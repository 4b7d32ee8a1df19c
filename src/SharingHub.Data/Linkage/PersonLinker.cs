using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Linkage;

/// <summary>
/// Finds the other agencies' records of the same individuals, at read time, from blind indexes only.
/// Every rule needs a shared identifier or a shared date of birth, so those two indexes are the only
/// candidate lookups: two queries per hop, whatever the number of people. Links are followed two hops
/// (a record that matches the health record, which matches the council's, is the same child), and no
/// more than <see cref="MaxRecords"/> records are ever considered. Links are followed on only from records
/// reached on evidence their writer could not simply assert (see <see cref="LinkageRules"/>).
/// </summary>
/// <remarks>
/// Results are kept for <see cref="CacheFor"/>: the same enquiry's subjects are linked on every request
/// made in it. A person written through this process clears the cache at once (<see cref="Forget"/>);
/// another hub process sees a new or changed record's links within that time. A stale result can only
/// miss a link or keep one for those seconds.
/// </remarks>
public sealed class PersonLinker(IHubDbContextFactory contexts, TimeProvider clock)
{
    public const int MaxRecords = 400;
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private const int Hops = 2;
    private const int MaxCached = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset At, LinkedPeople Linked)> _cache = new(StringComparer.Ordinal);

    /// <summary>Drops every cached result; called whenever a person record is written.</summary>
    public void Forget() => _cache.Clear();

    public async Task<LinkedPeople> LinkAsync(IReadOnlyCollection<Guid> personIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(personIds);
        if (personIds.Count == 0)
        {
            return new LinkedPeople([], []);
        }
        var key = string.Join(',', personIds.Order());
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && now - cached.At < CacheFor)
        {
            return cached.Linked;
        }
        var linked = await LinkUncachedAsync(personIds, cancellationToken);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        _cache[key] = (now, linked);
        return linked;
    }

    private async Task<LinkedPeople> LinkUncachedAsync(IReadOnlyCollection<Guid> personIds, CancellationToken cancellationToken)
    {
        await using var db = contexts.Create();
        var known = new Dictionary<Guid, LinkageCandidate>();
        var links = new List<PersonLink>();
        var pairs = new HashSet<(Guid, Guid)>();
        var ids = personIds.ToList();
        var frontier = await LoadAsync(db.People.Where(p => ids.Contains(p.Id)), cancellationToken);
        frontier.ForEach(c => known[c.Id] = c);
        for (var hop = 0; hop < Hops && frontier.Count > 0 && known.Count < MaxRecords; hop++)
        {
            var candidates = await CandidatesAsync(db, frontier, cancellationToken);
            var next = new List<LinkageCandidate>();
            foreach (var seed in frontier)
            {
                foreach (var candidate in candidates)
                {
                    if (LinkageRules.Compare(seed, candidate) is not { } basis)
                    {
                        continue;
                    }
                    // Another agency's claim of an identifier supports a link to a record the request starts
                    // from, and never carries linkage on: a writer's claim on a record it owns must not bridge
                    // to a child nobody linked to the starting records.
                    if (basis == LinkBasis.IdentifierAndBirthDate && hop > 0)
                    {
                        continue;
                    }
                    if (pairs.Add(seed.Id.CompareTo(candidate.Id) < 0 ? (seed.Id, candidate.Id) : (candidate.Id, seed.Id)))
                    {
                        links.Add(new PersonLink(seed.Id, candidate.Id, basis));
                    }
                    if (known.Count < MaxRecords && known.TryAdd(candidate.Id, candidate) && basis != LinkBasis.IdentifierAndBirthDate)
                    {
                        next.Add(candidate);
                    }
                }
            }
            frontier = next;
        }
        await KeptAtErasureAsync(db, known.Keys.ToList(), links, pairs, cancellationToken);
        return new LinkedPeople(personIds, links);
    }

    /// <summary>
    /// The links of erased records that touch the records found: an erased record's blind indexes are gone, so
    /// the links it had when it was erased stand in for the evidence (its whole linked set was kept then).
    /// </summary>
    private static async Task KeptAtErasureAsync(HubDbContext db, List<Guid> found, List<PersonLink> links, HashSet<(Guid, Guid)> pairs, CancellationToken cancellationToken)
    {
        var erased = await db.ErasedLinks.AsNoTracking()
            .Where(l => found.Contains(l.ErasedPersonId) || found.Contains(l.LinkedPersonId))
            .Select(l => l.ErasedPersonId).Distinct().OrderBy(id => id).Take(MaxRecords).ToListAsync(cancellationToken);
        if (erased.Count == 0)
        {
            return;
        }
        var kept = await db.ErasedLinks.AsNoTracking().Where(l => erased.Contains(l.ErasedPersonId))
            .OrderBy(l => l.ErasedPersonId).Take(MaxRecords).ToListAsync(cancellationToken);
        foreach (var link in kept)
        {
            if (pairs.Add(link.ErasedPersonId.CompareTo(link.LinkedPersonId) < 0 ? (link.ErasedPersonId, link.LinkedPersonId) : (link.LinkedPersonId, link.ErasedPersonId)))
            {
                links.Add(new PersonLink(link.ErasedPersonId, link.LinkedPersonId, LinkBasis.KeptAtErasure));
            }
        }
    }

    private static async Task<List<LinkageCandidate>> CandidatesAsync(HubDbContext db, List<LinkageCandidate> seeds, CancellationToken cancellationToken)
    {
        var seedIds = seeds.Select(s => s.Id).ToList();
        var birthDates = seeds.Select(s => s.BirthDate).OfType<byte[]>().ToList();
        var byBirthDate = birthDates.Count == 0 ? []
            : await LoadAsync(db.People.Where(AnyEqual<Person>(p => p.BirthDateIndex!, birthDates)).Where(p => !seedIds.Contains(p.Id)), cancellationToken);
        var identifiers = seeds.SelectMany(s => s.Identifiers).ToList();
        var byIdentifier = new List<LinkageCandidate>();
        foreach (var kind in identifiers.Select(i => i.Kind).Distinct())
        {
            var indexes = identifiers.Where(i => i.Kind == kind).Select(i => i.Index).ToList();
            var owners = db.PersonIdentifiers.Where(i => i.Kind == kind).Where(AnyEqual<PersonIdentifier>(i => i.ValueIndex, indexes)).Select(i => i.PersonId);
            byIdentifier.AddRange(await LoadAsync(db.People.Where(p => owners.Contains(p.Id) && !seedIds.Contains(p.Id)), cancellationToken));
        }
        return byBirthDate.Concat(byIdentifier).DistinctBy(c => c.Id).ToList();
    }

    /// <summary>x.Field == v1 || x.Field == v2 ...: equality on byte arrays translates on both engines, a list Contains does not.</summary>
    private static Expression<Func<T, bool>> AnyEqual<T>(Expression<Func<T, byte[]>> field, IReadOnlyList<byte[]> values)
    {
        var parameter = field.Parameters[0];
        Expression body = Expression.Constant(false);
        foreach (var value in values.DistinctBy(Convert.ToHexString))
        {
            // A closure member (not a constant) so EF sends each value as a parameter.
            var holder = Expression.Property(Expression.Constant(new Box(value)), nameof(Box.Value));
            body = Expression.OrElse(body, Expression.Equal(field.Body, holder));
        }
        return Expression.Lambda<Func<T, bool>>(body, parameter);
    }

    private sealed class Box(byte[] value)
    {
        public byte[] Value { get; } = value;
    }

    private static async Task<List<LinkageCandidate>> LoadAsync(IQueryable<Person> people, CancellationToken cancellationToken)
    {
        var rows = await people.AsNoTracking().OrderBy(p => p.Id)
            .Select(p => new
            {
                p.Id, p.OwningAgency, p.Kind, p.Sex, p.FamilyNameIndex, p.BirthDateIndex, p.PostcodeIndex,
                Identifiers = p.Identifiers.Select(i => new { i.Kind, i.ValueIndex }).ToList(),
            })
            .Take(MaxRecords)
            .ToListAsync(cancellationToken);
        return rows.Select(r => new LinkageCandidate(r.Id, r.OwningAgency, r.Kind, r.Sex, r.FamilyNameIndex, r.BirthDateIndex, r.PostcodeIndex,
            r.Identifiers.Select(i => (i.Kind, i.ValueIndex)).ToList())).ToList();
    }
}
