using Microsoft.EntityFrameworkCore;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Linkage;

/// <summary>
/// Finds the other agencies' records of the same individuals, at read time, from blind indexes only.
/// Every rule needs a shared identifier or a shared date of birth, so those two indexes are the only
/// candidate lookups. Links are followed two hops (a record that matches the health record, which
/// matches the council's, is the same child), and a cluster never grows past <see cref="MaxCluster"/>.
/// </summary>
public sealed class PersonLinker(IHubDbContextFactory contexts)
{
    public const int MaxCluster = 40;
    private const int Hops = 2;

    public async Task<LinkedPeople> LinkAsync(IReadOnlyCollection<Guid> personIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(personIds);
        await using var db = contexts.Create();
        var known = new Dictionary<Guid, LinkageCandidate>();
        var links = new List<PersonLink>();
        var pairs = new HashSet<(Guid, Guid)>();
        var frontier = await LoadAsync(db.People.Where(p => personIds.Contains(p.Id)), cancellationToken);
        frontier.ForEach(c => known[c.Id] = c);
        for (var hop = 0; hop < Hops && frontier.Count > 0 && known.Count < MaxCluster; hop++)
        {
            var next = new List<LinkageCandidate>();
            foreach (var seed in frontier)
            {
                foreach (var candidate in await CandidatesAsync(db, seed, cancellationToken))
                {
                    if (LinkageRules.Compare(seed, candidate) is not { } basis)
                    {
                        continue;
                    }
                    if (pairs.Add(seed.Id.CompareTo(candidate.Id) < 0 ? (seed.Id, candidate.Id) : (candidate.Id, seed.Id)))
                    {
                        links.Add(new PersonLink(seed.Id, candidate.Id, basis));
                    }
                    if (known.TryAdd(candidate.Id, candidate) && known.Count <= MaxCluster)
                    {
                        next.Add(candidate);
                    }
                }
            }
            frontier = next;
        }
        return new LinkedPeople(personIds, links);
    }

    private static async Task<List<LinkageCandidate>> CandidatesAsync(HubDbContext db, LinkageCandidate seed, CancellationToken cancellationToken)
    {
        var birthDate = seed.BirthDate;
        var byBirthDate = birthDate is null ? [] : await LoadAsync(db.People.Where(p => p.Id != seed.Id && p.BirthDateIndex == birthDate), cancellationToken);
        var byIdentifier = new List<LinkageCandidate>();
        foreach (var (kind, index) in seed.Identifiers)
        {
            var owners = db.PersonIdentifiers.Where(i => i.Kind == kind && i.ValueIndex == index && i.PersonId != seed.Id).Select(i => i.PersonId);
            byIdentifier.AddRange(await LoadAsync(db.People.Where(p => owners.Contains(p.Id)), cancellationToken));
        }
        return byBirthDate.Concat(byIdentifier).DistinctBy(c => c.Id).Take(MaxCluster * 4).ToList();
    }

    private static async Task<List<LinkageCandidate>> LoadAsync(IQueryable<Person> people, CancellationToken cancellationToken)
    {
        var rows = await people.AsNoTracking()
            .Select(p => new
            {
                p.Id, p.OwningAgency, p.Kind, p.Sex, p.FamilyNameIndex, p.BirthDateIndex, p.PostcodeIndex,
                Identifiers = p.Identifiers.Select(i => new { i.Kind, i.ValueIndex }).ToList(),
            })
            .Take(MaxCluster * 4)
            .ToListAsync(cancellationToken);
        return rows.Select(r => new LinkageCandidate(r.Id, r.OwningAgency, r.Kind, r.Sex, r.FamilyNameIndex, r.BirthDateIndex, r.PostcodeIndex,
            r.Identifiers.Select(i => (i.Kind, i.ValueIndex)).ToList())).ToList();
    }
}
