using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Fhir;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Access;

/// <summary>
/// One request's view of the records: who asks, for which purpose and enquiry, which records are the
/// same individuals (linkage) and which consents apply. Every record an API would return passes
/// <see cref="Decide(Record)"/> first: the decision point is consulted and the decision goes into the request's
/// audit entry, permit or deny. The time is fixed when the request starts, so one answer is one moment.
/// </summary>
internal sealed class RecordAccess(
    PolicyDecisionPoint policy,
    AuditScope audit,
    TimeProvider clock,
    IHubDbContextFactory contexts,
    CaseReads cases,
    PersonLinker linker,
    Disclosures disclosures,
    IOptions<AccessOptions> options)
{
    private CaseFacts? _enquiry;
    private Referral? _referral;
    private Guid? _enquiryId;
    private HashSet<Guid> _referralPeople = [];
    private LinkedPeople _links = new([], []);
    private List<ConsentFacts> _consents = [];
    private readonly List<Consent> _consentRows = [];
    private readonly List<(Guid PersonId, IReadOnlyCollection<string> Agencies, IReadOnlyCollection<string> LeadOrganisations)> _teams = [];
    private bool _opened;
    private bool _consultsConsent;
    private Policies.Model.Purpose? _purposeRules;

    public Principal Principal { get; private set; } = null!;
    public string Purpose { get; private set; } = "";
    public EnquiryFacts? Enquiry { get; private set; }

    /// <summary>The contact or referral a referral-bound purpose (front-door triage) is used for, as the policy sees it.</summary>
    public ReferralFacts? Referral { get; private set; }
    public string? OverrideJustification { get; private set; }
    public DateTimeOffset Now { get; private set; }
    public LinkedPeople Links => _links;

    /// <summary>"agency/class" keys of the records any rule could share with this caller for this purpose.</summary>
    public IReadOnlyList<string> Reachable { get; private set; } = [];

    private HashSet<string> _reachable = [];

    /// <summary>Whether some rule could share <paramref name="record"/> with this caller for this purpose: the in-memory form of <see cref="ReachableQueries.ReachableBy"/>.</summary>
    public bool CouldReach(Record record) => _reachable.Contains(ReachableKey(record.OwningAgency, record.DataClass));

    /// <summary>
    /// The case behind every case-bound request, read as only the columns the decision needs (the enquiry's id, reference,
    /// closure and stage; each member's agency, subject and dates; each child's id), by a compiled query. Its other parts (conferences, core group
    /// meetings, emergency actions, FGDM decisions) and its sealed fields are read where they are shown. It reads the
    /// rows as they are now: a member removed or a case closed takes effect on the next request. A compiled query keeps
    /// the plan of the first model it ran with, so there is one per model (one per engine). On SQLite the same facts are
    /// read by <see cref="CaseReads"/>, whose statements stay prepared (CaseReadTests hold the two to the same answer).
    /// </summary>
    private static Task<CaseFacts?> ReadCase(HubDbContext db, Guid id, CancellationToken ct) =>
        CaseQueries.GetValue(db.Model, static _ => EF.CompileAsyncQuery(
            (HubDbContext db, Guid id, CancellationToken ct) => db.Enquiries.AsNoTracking().AsSingleQuery().Where(e => e.Id == id)
                .Select(e => new CaseFacts(e.Id, e.Reference, e.ClosedAt, e.Stage, e.Subjects.Select(s => s.PersonId).ToList(),
                    e.Members.Select(m => new EnquiryMemberFacts(m.Agency, m.UserSubject, m.AddedAt, m.RemovedAt)).ToList()))
                .FirstOrDefault()))(db, id, ct);

    private static readonly ConditionalWeakTable<Microsoft.EntityFrameworkCore.Metadata.IModel, Func<HubDbContext, Guid, CancellationToken, Task<CaseFacts?>>> CaseQueries = new();

    /// <summary>Reads the purpose, enquiry and any override from the request; a problem is the caller's to fix.</summary>
    public async Task<PurposeProblem?> OpenAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var (purpose, enquiryId, problem) = PurposeOfUse.Parse(http, policy);
        if (problem is not null)
        {
            return problem;
        }
        var me = http.HubPrincipal();
        Principal = me.ToPolicyPrincipal();
        Purpose = purpose!;
        Now = clock.GetUtcNow();
        _consultsConsent = policy.MayConsultConsent(Principal, Purpose);
        Reachable = policy.Reachable(Principal, Purpose).Select(p => ReachableKey(p.Agency, p.DataClass)).ToList();
        _reachable = Reachable.ToHashSet(StringComparer.Ordinal);
        var justification = RequestScope.Of(http).Override;
        OverrideJustification = justification.Length > 0 ? justification : null;
        audit.Purpose = Purpose;
        audit.EnquiryId = enquiryId;
        audit.OverrideJustification = OverrideJustification;
        var (referralId, referralText) = PurposeOfUse.ReferralOf(http);
        var purposeRules = policy.Policy.Purposes[Purpose];
        _purposeRules = purposeRules;
        if (referralText is not null || (referralId is not null && !purposeRules.RequiresReferral))
        {
            return Problem("invalid_referral", referralText ?? $"{PurposeOfUse.ReferralHeader} is named only for a purpose used for a referral (front-door-triage).");
        }
        using (Core.Telemetry.HubDiagnostics.Source.StartActivity("access.case"))
        await using (var db = contexts.Create())
        {
            _enquiryId = enquiryId;
            if (enquiryId is { } id)
            {
                _enquiry = cases.Prepared ? await cases.ReadAsync(id, cancellationToken) : await ReadCase(db, id, cancellationToken);
            }
            if (referralId is { } rid)
            {
                _referral = await db.Referrals.AsNoTracking().FirstOrDefaultAsync(r => r.Id == rid, cancellationToken);
            }
        }
        await PrepareAsync([], cancellationToken);
        return await CaseProblemAsync(http, purposeRules, cancellationToken);
    }

    /// <summary>
    /// A purpose bound to a case is refused before any read when used outside it: a front-door request names an open
    /// referral it may see (its worklist aside); a person reading for an enquiry is a current member of it, or of an
    /// agency the enquiry has asked for information. The decision point holds every record to the same case as well.
    /// </summary>
    private async Task<PurposeProblem?> CaseProblemAsync(HttpContext http, Policies.Model.Purpose purpose, CancellationToken ct)
    {
        if (purpose.RequiresReferral)
        {
            if (_referral is null)
            {
                var listsCases = http.GetEndpoint()?.Metadata.GetMetadata<OpensRecordsAttribute>()?.ListsCases == true;
                return RequestScope.Of(http).Referral.Length > 0
                    ? Problem("referral_unknown", "No referral with that id that you may triage.", StatusCodes.Status403Forbidden)
                    : listsCases ? null
                    : Problem("referral_required", $"The purpose '{Purpose}' is used for a contact or referral: name it in the {PurposeOfUse.ReferralHeader} header.");
            }
            await PrepareAsync([_referral.SubjectPersonId], ct);
            await using var db = contexts.Create();
            var child = _links.Of(_referral.SubjectPersonId).ToList();
            // The case is the child and their household, as any agency records them; membership is read, not disclosed.
            var household = await db.Households.AsNoTracking().Where(h => h.Members.Any(m => child.Contains(m.PersonId)))
                .SelectMany(h => h.Members.Select(m => m.PersonId)).Take(200).ToListAsync(ct);
            await PrepareAsync(household, ct);
            _referralPeople = _links.Expand(child.Concat(household));
            Referral = new ReferralFacts(_referral.Id, _referral.DecidedAt?.AddHours(purpose.ReferralGraceHours), _referralPeople);
            if (!Decide(_referral).IsPermit)
            {
                return Problem("referral_unknown", "No referral with that id that you may triage.", StatusCodes.Status403Forbidden);
            }
            if (!Referral.IsOpenAt(Now))
            {
                return Problem("case_closed", $"The referral was decided and its {purpose.ReferralGraceHours}-hour grace period has ended: it opens no records now.",
                    StatusCodes.Status403Forbidden);
            }
        }
        if (purpose.RequiresEnquiry && Principal.IsPerson && _enquiryId is { } enquiryId && Enquiry?.HasMember(Principal, Now) != true)
        {
            await using var db = contexts.Create();
            // The same words for an enquiry that does not exist and one the caller is not in: nothing says which.
            if (!await db.InformationRequests.AnyAsync(r => r.EnquiryId == enquiryId && r.RequestedAgency == Principal.Agency, ct))
            {
                return Problem("not_in_case", "You are not a current member of that enquiry, and your agency has not been asked for information by it.",
                    StatusCodes.Status403Forbidden);
            }
        }
        return null;
    }

    private PurposeProblem Problem(string code, string description, int status = StatusCodes.Status400BadRequest) =>
        new(code, description, policy.PurposesFor(Principal)) { Status = status };

    /// <summary>
    /// Links the people a request is about (and, the first time, the enquiry's subjects) and loads the
    /// consents about any of their records. Call it with the subjects of the records about to be
    /// decided; people already linked in this request are not linked again.
    /// </summary>
    public async Task PrepareAsync(IEnumerable<Guid> personIds, CancellationToken cancellationToken)
    {
        var fresh = personIds.Where(id => !_links.Contains(id)).ToHashSet();
        var first = !_opened;
        _opened = true;
        if (first && _enquiry is not null)
        {
            fresh.UnionWith(_enquiry.Subjects);
        }
        if (fresh.Count == 0)
        {
            SetEnquiryFacts();
            return;
        }
        using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity("access.link");
        span?.SetTag("sharinghub.link.records", fresh.Count);
        var linked = await linker.LinkAsync(fresh, cancellationToken);
        var before = _links.Known.ToHashSet();
        _links = _links.Merge(linked);
        SetEnquiryFacts();
        var added = _links.Known.Where(id => !before.Contains(id)).ToList();
        if (added.Count > 0 && _consultsConsent)
        {
            using var consents = Core.Telemetry.HubDiagnostics.Source.StartActivity("access.consents");
            await using var db = contexts.Create();
            _consentRows.AddRange(await db.Consents.AsNoTracking().Where(c => added.Contains(c.SubjectPersonId)).ToListAsync(cancellationToken));
            _teams.AddRange(await db.FamilyHelpPlans.AsNoTracking().Where(p => added.Contains(p.PersonId) && p.Status != FamilyHelpStatus.Closed)
                .Select(p => new { p.PersonId, p.OwningAgency, p.AgenciesInvolved, Leads = p.Leads.Select(l => l.Organisation).ToList() }).AsAsyncEnumerable()
                .Select(p => (p.PersonId, (IReadOnlyCollection<string>)p.AgenciesInvolved.Append(p.OwningAgency).ToList(), (IReadOnlyCollection<string>)p.Leads))
                .ToListAsync(cancellationToken));
        }
        // A consent recorded against one agency's record of a person covers that person's other records too.
        _consents = _consentRows.SelectMany(c => _links.Of(c.SubjectPersonId).Select(subject => new ConsentFacts(
            c.Id, subject, c.Decision, c.Status, Recipients(c), c.Purposes, c.DataClasses, c.PeriodStart, c.PeriodEnd, c.WithdrawnAt))).ToList();
    }

    /// <summary>
    /// A consent's recipients as agencies: "the team around the family" is the agencies of the person's open Family Help (the
    /// lead practitioner's and those the plan involves), as they are at the time of the read, so a team that changes needs no new consent.
    /// Only a plan the consent's own organisation leads, or led before a handover, defines its team: another organisation's plan
    /// (its own write) never widens what a consent reaches, so no writer can bring itself into a family's team.
    /// </summary>
    private IReadOnlyCollection<string> Recipients(Consent c)
    {
        if (!c.RecipientAgencies.Contains(Consent.TeamAroundFamily))
        {
            return c.RecipientAgencies;
        }
        var person = _links.Of(c.SubjectPersonId).ToHashSet();
        // The token stays in the list (it names no agency), so a team of nobody yet is nobody, never "any agency".
        return c.RecipientAgencies
            .Concat(_teams.Where(t => person.Contains(t.PersonId) && t.LeadOrganisations.Contains(c.OwningOrganisation)).SelectMany(t => t.Agencies))
            .Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The enquiry as the policy sees it: its subjects are every record linked to them.</summary>
    private void SetEnquiryFacts()
    {
        if (_enquiry is { } e)
        {
            var ends = e.ClosedAt?.AddHours(options.Value.EnquiryGraceHours);
            Enquiry = new EnquiryFacts(e.Id, e.Reference, ends, _links.Expand(e.Subjects), e.Members) { Stage = e.Stage };
        }
    }

    /// <summary>
    /// One permitted record as this response shows it. Every record a response carries is opened here, so the audit
    /// entry counts what was disclosed without a handler counting by hand.
    /// </summary>
    public Disclosure Disclose(Record record, Decision decision, bool aboutErasedRecord = false)
    {
        if (!decision.IsPermit)
        {
            throw new InvalidOperationException("only a permitted record is disclosed");
        }
        audit.Count++;
        return disclosures.Of(record, decision, aboutErasedRecord);
    }

    /// <summary>Facts derived from records the response carries without their fields (the versions of a record, a brokered answer's matches).</summary>
    public void DisclosedFacts(int count) => audit.Count += count;

    /// <summary>Readies the keys of the people among records about to be disclosed (one key-store read for a page).</summary>
    public void Prefetch(IEnumerable<Record> records) => disclosures.Prefetch(records);

    public static string ReachableKey(string agency, string dataClass) => agency + "/" + dataClass;

    /// <summary>
    /// The people every record of <paramref name="recordType"/> must be about when the purpose holds the request to its case:
    /// the referral's child and household, or the enquiry's subjects, as linked (empty when the request names no case, when the
    /// decision point refuses every such record). Null when the purpose is not bound to a case, or when records of that type are
    /// seen for another reason (a referral is the front door's worklist; an information request is seen by the agency asked).
    /// A search narrows to these people in the database; the decision point still decides every row it returns, by the same test.
    /// </summary>
    public IReadOnlyCollection<Guid>? CaseSubjectsOf(Type recordType) => _purposeRules switch
    {
        { RequiresReferral: true } => recordType == typeof(Referral) ? null : Referral?.SubjectIds ?? (IReadOnlyCollection<Guid>)[],
        { RequiresEnquiry: true } => recordType == typeof(InformationRequest) ? null : Enquiry?.SubjectIds ?? (IReadOnlyCollection<Guid>)[],
        _ => null,
    };

    /// <summary>Decides on one record and records the decision in the request's audit entry.</summary>
    public Decision Decide(Record record) => Decide(RecordFacts.For(record));

    /// <summary>Decides on a record whose subjects are not on the record itself (an information request is about its enquiry's subjects).</summary>
    public Decision Decide(Record record, IEnumerable<Guid> subjects) => Decide(RecordFacts.For(record) with { SubjectIds = subjects.ToHashSet() });

    private Decision Decide(ResourceFacts facts)
    {
        using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity("policy.decide");
        var decision = policy.Decide(new AccessRequest(Principal, Purpose, Enquiry, facts, _consents, OverrideJustification) { Referral = Referral }, Now);
        // The decision's shape only: effect, data class and owner; never the record, its id or whom it is about.
        span?.SetTag("sharinghub.decision.effect", decision.IsPermit ? "permit" : "deny");
        span?.SetTag("sharinghub.decision.data_class", facts.DataClass);
        span?.SetTag("sharinghub.decision.owner", facts.OwningAgency);
        audit.Record(facts, decision);
        Core.Telemetry.HubDiagnostics.Decisions.Add(1, new KeyValuePair<string, object?>("effect", decision.IsPermit ? "permit" : "deny"),
            new KeyValuePair<string, object?>("purpose", Purpose));
        return decision;
    }

    /// <summary>The records this request may see, each with its decision; the rest are left out as if they did not exist.</summary>
    public List<(T Record, Decision Decision)> Permitted<T>(IEnumerable<T> records)
        where T : Record =>
        records.Select(r => (r, Decide(r))).Where(x => x.Item2.IsPermit).ToList();
}

internal static class ReachableQueries
{
    /// <summary>Narrows a query, in the database, to records some rule could share with this caller for this purpose.</summary>
    public static IQueryable<T> ReachableBy<T>(this IQueryable<T> query, RecordAccess access)
        where T : Record
    {
        var keys = access.Reachable;
        return query.Where(r => keys.Contains(r.OwningAgency + "/" + r.DataClass));
    }

    /// <summary>
    /// Narrows a search, in the database, to records about the people of the case its purpose is bound to (see
    /// <see cref="RecordAccess.CaseSubjectsOf"/>), so that a search under a section 47 enquiry reads that family's records
    /// rather than deciding, and refusing one by one, every record the caller's agency could reach. A read of one record by
    /// its id is not narrowed: its refusal is decided and audited like any other.
    /// </summary>
    public static IQueryable<T> WithinCase<T>(this IQueryable<T> query, HubDbContext db, RecordAccess access)
        where T : Record
    {
        if (access.CaseSubjectsOf(typeof(T)) is not { } subjects)
        {
            return query;
        }
        var people = subjects.ToList();
        return query switch
        {
            IQueryable<Person> q => (IQueryable<T>)q.Where(p => people.Contains(p.Id)),
            IQueryable<ChronologyEvent> q => (IQueryable<T>)q.About(db, people),
            IQueryable<Involvement> q => (IQueryable<T>)q.Where(i => people.Contains(i.PersonId)),
            IQueryable<PersonState> q => (IQueryable<T>)q.Where(s => people.Contains(s.PersonId)),
            IQueryable<Household> q => (IQueryable<T>)q.Where(h => h.Members.Any(m => people.Contains(m.PersonId))),
            IQueryable<Relationship> q => (IQueryable<T>)q.Where(r => people.Contains(r.PersonId) || people.Contains(r.RelatedPersonId)),
            IQueryable<Consent> q => (IQueryable<T>)q.Where(c => people.Contains(c.SubjectPersonId)),
            IQueryable<FamilyHelpPlan> q => (IQueryable<T>)q.Where(f => people.Contains(f.PersonId)),
            IQueryable<Referral> q => (IQueryable<T>)q.Where(r => people.Contains(r.SubjectPersonId)),
            IQueryable<Enquiry> q => (IQueryable<T>)q.Where(e => e.Subjects.Any(s => people.Contains(s.PersonId))),
            // A record type whose subjects are not on its row is decided as it is.
            _ => query,
        };
    }
}

internal static class AccessServiceCollectionExtensions
{
    public static IServiceCollection AddSharingHubAccess(this IServiceCollection services)
    {
        services.AddOptions<AccessOptions>()
            .BindConfiguration(AccessOptions.Section)
            .Validate(o => o.EnquiryGraceHours is >= 0 and <= 24 * 90, $"{AccessOptions.Section}:EnquiryGraceHours must be 0 to 2160")
            .ValidateOnStart();
        services.AddScoped<RecordAccess>();
        services.AddSingleton<Disclosures>();
        return services;
    }
}
