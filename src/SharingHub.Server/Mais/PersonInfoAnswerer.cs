using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Mais;

/// <summary>
/// The hub's own answer to the person-info-query, from the records it holds: the one individual the query describes,
/// matched as record linkage matches (never on family name and birth date alone, never two people merged), and every
/// record linked to them, each decided
/// under the rules written for the query; involvements the caller may learn of; a contact per agency
/// that knows the person. Every decision goes into the request's audit entry. The same queries run
/// whether or not anyone matches, so "not known" and "known but withheld" take the same path.
/// </summary>
internal sealed class PersonInfoAnswerer(IHubDbContextFactory contexts, PersonSealer people, IBlindIndexer indexer, PersonLinker linker, PolicyDecisionPoint policy,
    TimeProvider clock, IOptions<MaisOptions> options)
{
    /// <summary>
    /// The one purpose a MAIS reason stands for, among those the caller may use: the purpose the caller states (which
    /// must go with the reason), or the only one that does, or the one the policy makes the reason's default
    /// (<c>mais-default</c>). Otherwise (section 17 for a Family Help practitioner: Family Help or FGDM) the caller is
    /// asked to name it, never given whichever comes first.
    /// </summary>
    public (string? Purpose, string? Problem) PurposeFor(Principal principal, Uri reason, string? stated)
    {
        var candidates = policy.PurposesFor(principal).Where(p => p.MaisReason == reason).ToList();
        if (stated is null && candidates.Count > 1 && candidates.SingleOrDefault(p => p.MaisDefault) is { } rule)
        {
            return (rule.Code, null);
        }
        var fitting = candidates.Select(p => p.Code).ToList();
        if (stated is not null)
        {
            return fitting.Contains(stated) ? (stated, null) : (null, $"the purpose '{stated}' is not one you may use with the reason {reason}");
        }
        return fitting.Count switch
        {
            0 => (null, $"the reason {reason} is not the reason of a purpose of use you may work under"),
            1 => (fitting[0], null),
            _ => (null, $"the reason {reason} goes with several purposes you may use ({string.Join(", ", fitting)}): name one in {Audit.PurposeOfUse.PurposeHeader}"),
        };
    }

    public bool RequiresEnquiry(string purpose) => policy.Policy.Purposes.TryGetValue(purpose, out var p) && p.RequiresEnquiry;

    /// <summary>Whether the enquiry is open and <paramref name="principal"/> a current member of it.</summary>
    public async Task<bool> IsOpenMemberAsync(Guid enquiryId, Principal principal, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var enquiry = await db.Enquiries.AsNoTracking().AsSingleQuery().IgnoreAutoIncludes().Include(e => e.Members).FirstOrDefaultAsync(e => e.Id == enquiryId, ct);
        if (enquiry is not { Status: EnquiryStatus.Open })
        {
            return false;
        }
        var facts = new EnquiryFacts(enquiry.Id, enquiry.Reference, null, new HashSet<Guid>(),
            EnquiryMemberFacts.Of(enquiry.Members));
        return facts.HasMember(principal, clock.GetUtcNow());
    }

    /// <summary>The hub's records of the one individual the query describes (empty when nobody, or more than one, fits).</summary>
    public async Task<IReadOnlySet<Guid>> MatchAsync(PersonQuery query, AuditScope audit, CancellationToken ct)
    {
        await using var db = contexts.Create();
        return await MatchAsync(db, query, clock.GetUtcNow(), audit, ct);
    }

    public async Task<PersonAnswer> AnswerAsync(Principal principal, string purpose, PersonQuery query, AuditScope audit, CancellationToken ct) =>
        await AnswerAsync(principal, purpose, await MatchAsync(query, audit, ct), audit, ct);

    /// <summary>The answer about records already matched to the query's individual (<see cref="MatchAsync(PersonQuery, AuditScope, CancellationToken)"/>).</summary>
    public async Task<PersonAnswer> AnswerAsync(Principal principal, string purpose, IReadOnlySet<Guid> matched, AuditScope audit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = contexts.Create();
        // The person's records at every agency, as linkage finds them; an empty set still runs the queries.
        var linked = (await linker.LinkAsync(matched, ct)).Expand(matched).ToList();
        var records = await db.People.AsNoTracking().Include(p => p.Identifiers).Where(p => linked.Contains(p.Id)).ToListAsync(ct);
        var involvements = await db.Involvements.AsNoTracking().Where(i => linked.Contains(i.PersonId)).ToListAsync(ct);
        var familyHelp = await db.FamilyHelpPlans.AsNoTracking().Where(p => linked.Contains(p.PersonId) && p.Status != FamilyHelpStatus.Closed).ToListAsync(ct);

        // The audit lists what the answer sends: the agencies that know the person (a contact each), the involvements
        // whose service is shown, and every refusal; a record decided but not sent is not recorded as disclosed.
        Decision Decide(Record record, Func<Decision, bool> sent)
        {
            var facts = RecordFacts.For(record);
            var decision = policy.Decide(new AccessRequest(principal, purpose, null, facts, [], null, PersonInfoQuery: true), now);
            if (!decision.IsPermit || sent(decision))
            {
                audit.Record(facts, decision);
            }
            return decision;
        }
        var knownBy = records.Where(p => Decide(p, _ => true).IsPermit).Select(p => p.OwningAgency).ToHashSet(StringComparer.Ordinal);
        var shown = involvements.Select(i => (Involvement: i, Decision: Decide(i, d => d.Fields.Contains("service"))))
            .Where(x => x.Decision.IsPermit && x.Decision.Fields.Contains("service")).ToList();
        if (knownBy.Count == 0)
        {
            return PersonAnswer.NoMatch;
        }
        var summaries = shown
            .OrderBy(x => x.Involvement.StartedAt)
            .Select(x => new InvolvementSummary(x.Involvement.OwningAgency, x.Involvement.Service, x.Involvement.Status == InvolvementStatus.Open ? "open" : "closed",
                x.Decision.Fields.Contains("startedAt") ? x.Involvement.StartedAt : null, x.Decision.Fields.Contains("endedAt") ? x.Involvement.EndedAt : null))
            .ToList();
        // Family Help in force: the service, and its lead practitioner as the contact for their organisation (one answer at any time).
        var leads = new List<ContactSummary>();
        foreach (var (plan, decision) in familyHelp.Select(p => (p, Decide(p, d => d.Fields.Contains("status")))).Where(x => x.Item2.IsPermit && x.Item2.Fields.Contains("status")))
        {
            summaries.Add(new InvolvementSummary(plan.OwningAgency, FamilyHelpPlan.DataClassCode, "open", decision.Fields.Contains("startedAt") ? plan.StartedAt : null, null));
            if (decision.Fields.Contains("leadPractitioner"))
            {
                var organisation = Contact(plan.OwningAgency);
                leads.Add(organisation with { Name = $"{plan.LeadPractitioner}, Family Help Lead Practitioner ({organisation.Name})" });
            }
        }
        var agencies = knownBy.Union(summaries.Select(s => s.Agency)).Order(StringComparer.Ordinal);
        return new PersonAnswer(true, leads.Concat(agencies.Select(Contact)).ToList(), summaries);
    }

    /// <summary>
    /// The records of the one individual the query describes, matched as linkage matches records: scored on every field the
    /// query gives (identifiers, family and given name, birth date), never on family name and birth date alone. An identifier
    /// matches a record of the agency that issues it unless the rest of the query contradicts that record. A query that fits
    /// two individuals (one person's NHS number with another's name and birth date, or two equally good candidates) is no
    /// match at all: the answer never merges two people. Empty when nobody, or more than one, fits.
    /// </summary>
    private async Task<IReadOnlySet<Guid>> MatchAsync(HubDbContext db, PersonQuery query, DateTimeOffset now, AuditScope audit, CancellationToken ct)
    {
        var birth = query.BirthDate;
        var family = query.Family is null ? null : people.FamilyNameIndex(query.Family);
        // A birth date known only to its month is matched as the month (its day is not guessed).
        var approximate = birth ?? (query.BirthMonth is { } m ? new DateOnly(m.Year, m.Month, 1) : null);
        var encoding = approximate is { } when ? new LinkageEncoder(indexer).Encode(query.Given ?? "", query.Family ?? "", when, null) : LinkageEncoding.None;
        var asked = new LinkageCandidate(Guid.Empty, "query", approximate is { } b && b.AddYears(18) > DateOnly.FromDateTime(now.UtcDateTime) ? PersonKind.Child : PersonKind.Adult, null,
            family, birth is { } d ? people.BirthDateIndex(d) : null, null, query.Identifiers.Select(i => (i.Kind, people.IdentifierIndex(i.Kind, i.Value))).ToList())
        {
            Encoding = birth is null ? encoding with { BirthDateSwapped = null } : encoding,
        };
        var fits = new HashSet<Guid>();
        var contradiction = false;
        foreach (var (record, score, vector) in await linker.ScoreAsync(db, asked, ct))
        {
            var issuerSays = record.Identifiers.Any(x => LinkageRules.Asserts(record, x.Kind) && asked.Identifiers.Any(y => y.Kind == x.Kind && y.Index.AsSpan().SequenceEqual(x.Index)));
            var contradicted = vector.BirthDate == FellegiSunterModel.Different(LinkageField.BirthDate)
                || (vector.FamilyName == FellegiSunterModel.Different(LinkageField.FamilyName) && vector.GivenName == FellegiSunterModel.Different(LinkageField.GivenName));
            var namesAgree = vector.GivenName >= 0 && vector.GivenName < FellegiSunterModel.Different(LinkageField.GivenName)
                && vector.FamilyName >= 0 && vector.FamilyName < FellegiSunterModel.Different(LinkageField.FamilyName);
            contradiction |= issuerSays && contradicted;
            if ((issuerSays && !contradicted) || (score.Outcome == LinkageOutcome.Link && namesAgree && score.Veto is null))
            {
                fits.Add(record.Id);
            }
        }
        if (contradiction)
        {
            // The identifier names one person and the name and birth date another: the query itself is not one person.
            audit.MaisMatch = "the identifier belongs to a person whose birth date or names differ from the query's; answered as no match";
            return new HashSet<Guid>();
        }
        if (fits.Count == 0)
        {
            return fits;
        }
        var linked = await linker.LinkAsync(fits, ct);
        var individuals = fits.Select(id => linked.Of(id)).DistinctBy(cluster => cluster.Order().First()).Count();
        if (individuals > 1)
        {
            // Two people fit the query: answering either, or both merged, could tell the asker about the wrong child.
            audit.MaisMatch = $"{individuals} individuals fit the query; answered as no match";
            return new HashSet<Guid>();
        }
        return fits;
    }

    public ContactSummary Contact(string agency)
    {
        var name = policy.Policy.Agencies.TryGetValue(agency, out var known) ? known.Name : agency;
        var configured = options.Value.Contacts.GetValueOrDefault(agency);
        return new ContactSummary(agency, configured?.Name ?? name, configured?.Phone, configured?.Email);
    }
}
