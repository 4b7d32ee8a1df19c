using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Mais;

/// <summary>
/// The hub's own answer to the person-info-query, from the records it holds: people matched by blind
/// index (identifier, or family name with date of birth) and every record linked to them, each decided
/// under the rules written for the query; involvements the caller may learn of; a contact per agency
/// that knows the person. Every decision goes into the request's audit entry. The same queries run
/// whether or not anyone matches, so "not known" and "known but withheld" take the same path.
/// </summary>
internal sealed class PersonInfoAnswerer(IHubDbContextFactory contexts, PersonSealer people, PersonLinker linker, PolicyDecisionPoint policy,
    TimeProvider clock, IOptions<MaisOptions> options)
{
    /// <summary>The purpose a MAIS reason stands for, among those the caller may use; null if none.</summary>
    public string? PurposeFor(Principal principal, Uri reason) =>
        policy.PurposesFor(principal).FirstOrDefault(p => p.MaisReason == reason)?.Code;

    public bool RequiresEnquiry(string purpose) => policy.Policy.Purposes.TryGetValue(purpose, out var p) && p.RequiresEnquiry;

    /// <summary>Whether the enquiry is open and <paramref name="principal"/> a current member of it.</summary>
    public async Task<bool> IsOpenMemberAsync(Guid enquiryId, Principal principal, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var enquiry = await db.Enquiries.AsNoTracking().Include(e => e.Members).FirstOrDefaultAsync(e => e.Id == enquiryId, ct);
        if (enquiry is not { Status: EnquiryStatus.Open })
        {
            return false;
        }
        var facts = new EnquiryFacts(enquiry.Id, enquiry.Reference, null, new HashSet<Guid>(),
            EnquiryMemberFacts.Of(enquiry.Members));
        return facts.HasMember(principal, clock.GetUtcNow());
    }

    public async Task<PersonAnswer> AnswerAsync(Principal principal, string purpose, PersonQuery query, AuditScope audit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = contexts.Create();
        var indexes = query.Identifiers.Select(i => (i.Kind, Index: people.IdentifierIndex(i.Kind, i.Value))).ToList();
        var matched = new HashSet<Guid>();
        foreach (var kind in indexes.Select(i => i.Kind).Distinct())
        {
            var values = indexes.Where(i => i.Kind == kind).Select(i => i.Index).ToList();
            matched.UnionWith(await db.PersonIdentifiers.AsNoTracking().Where(i => i.Kind == kind && values.Contains(i.ValueIndex)).Select(i => i.PersonId).ToListAsync(ct));
        }
        var family = query.Family is null ? [] : people.FamilyNameIndex(query.Family);
        var birth = query.BirthDate is { } b ? people.BirthDateIndex(b) : [];
        if (query.Family is not null && query.BirthDate is not null)
        {
            matched.UnionWith(await db.People.AsNoTracking().Where(p => p.FamilyNameIndex == family && p.BirthDateIndex == birth).Select(p => p.Id).OrderBy(id => id).Take(50).ToListAsync(ct));
        }
        // The person's records at every agency, as linkage finds them; an empty set still runs the queries.
        var linked = (await linker.LinkAsync(matched, ct)).Expand(matched).ToList();
        var records = await db.People.AsNoTracking().Include(p => p.Identifiers).Where(p => linked.Contains(p.Id)).ToListAsync(ct);
        var involvements = await db.Involvements.AsNoTracking().Where(i => linked.Contains(i.PersonId)).ToListAsync(ct);

        Decision Decide(Record record)
        {
            var facts = RecordFacts.For(record);
            var decision = policy.Decide(new AccessRequest(principal, purpose, null, facts, [], null, PersonInfoQuery: true), now);
            audit.Record(facts, decision);
            return decision;
        }
        var knownBy = records.Where(p => Decide(p).IsPermit).Select(p => p.OwningAgency).ToHashSet(StringComparer.Ordinal);
        var shown = involvements.Select(i => (Involvement: i, Decision: Decide(i))).Where(x => x.Decision.IsPermit && x.Decision.Fields.Contains("service")).ToList();
        if (knownBy.Count == 0)
        {
            return PersonAnswer.NoMatch;
        }
        var summaries = shown
            .OrderBy(x => x.Involvement.StartedAt)
            .Select(x => new InvolvementSummary(x.Involvement.OwningAgency, x.Involvement.Service, x.Involvement.Status == InvolvementStatus.Open ? "open" : "closed",
                x.Decision.Fields.Contains("startedAt") ? x.Involvement.StartedAt : null, x.Decision.Fields.Contains("endedAt") ? x.Involvement.EndedAt : null))
            .ToList();
        var agencies = knownBy.Union(summaries.Select(s => s.Agency)).Order(StringComparer.Ordinal);
        return new PersonAnswer(true, agencies.Select(Contact).ToList(), summaries);
    }

    public ContactSummary Contact(string agency)
    {
        var name = policy.Policy.Agencies.TryGetValue(agency, out var known) ? known.Name : agency;
        var configured = options.Value.Contacts.GetValueOrDefault(agency);
        return new ContactSummary(agency, configured?.Name ?? name, configured?.Phone, configured?.Email);
    }
}
