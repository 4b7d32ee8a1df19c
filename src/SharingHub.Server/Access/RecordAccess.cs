using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
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
    PersonLinker linker,
    Disclosures disclosures,
    IOptions<AccessOptions> options)
{
    private Enquiry? _enquiry;
    private LinkedPeople _links = new([], []);
    private List<ConsentFacts> _consents = [];
    private readonly List<Consent> _consentRows = [];
    private bool _opened;
    private bool _consultsConsent;

    public Principal Principal { get; private set; } = null!;
    public string Purpose { get; private set; } = "";
    public EnquiryFacts? Enquiry { get; private set; }
    public string? OverrideJustification { get; private set; }
    public DateTimeOffset Now { get; private set; }
    public LinkedPeople Links => _links;

    /// <summary>"agency/class" keys of the records any rule could share with this caller for this purpose.</summary>
    public IReadOnlyList<string> Reachable { get; private set; } = [];

    /// <summary>Reads the purpose, enquiry and any override from the request; a problem is the caller's to fix.</summary>
    public async Task<PurposeProblem?> OpenAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var (purpose, enquiryId, problem) = PurposeOfUse.Parse(http, policy);
        if (problem is not null)
        {
            return problem;
        }
        var me = http.HubPrincipal();
        Principal = new Principal(me.Agency, me.Subject, me.Roles, me.ClientId);
        Purpose = purpose!;
        Now = clock.GetUtcNow();
        _consultsConsent = policy.MayConsultConsent(Principal, Purpose);
        Reachable = policy.Reachable(Principal, Purpose).Select(p => ReachableKey(p.Agency, p.DataClass)).ToList();
        var justification = http.Request.Headers[PurposeOfUse.OverrideHeader].ToString();
        OverrideJustification = justification.Length > 0 ? justification : null;
        audit.Purpose = Purpose;
        audit.EnquiryId = enquiryId;
        audit.OverrideJustification = OverrideJustification;
        if (enquiryId is { } id)
        {
            await using var db = contexts.Create();
            _enquiry = await db.Enquiries.AsNoTracking().Include(e => e.Members).Include(e => e.Subjects)
                .FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        }
        await PrepareAsync([], cancellationToken);
        return null;
    }

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
            fresh.UnionWith(_enquiry.Subjects.Select(s => s.PersonId));
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
            await using var db = contexts.Create();
            _consentRows.AddRange(await db.Consents.AsNoTracking().Where(c => added.Contains(c.SubjectPersonId)).ToListAsync(cancellationToken));
        }
        // A consent recorded against one agency's record of a person covers that person's other records too.
        _consents = _consentRows.SelectMany(c => _links.Of(c.SubjectPersonId).Select(subject => new ConsentFacts(
            c.Id, subject, c.Decision, c.Status, c.RecipientAgencies, c.Purposes, c.DataClasses, c.PeriodStart, c.PeriodEnd, c.WithdrawnAt))).ToList();
    }

    /// <summary>The enquiry as the policy sees it: its subjects are every record linked to them.</summary>
    private void SetEnquiryFacts()
    {
        if (_enquiry is { } e)
        {
            var ends = e.ClosedAt?.AddHours(options.Value.EnquiryGraceHours);
            Enquiry = new EnquiryFacts(e.Id, e.Reference, ends, _links.Expand(e.Subjects.Select(s => s.PersonId)),
                EnquiryMemberFacts.Of(e.Members));
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

    /// <summary>Decides on one record and records the decision in the request's audit entry.</summary>
    public Decision Decide(Record record) => Decide(RecordFacts.For(record));

    /// <summary>Decides on a record whose subjects are not on the record itself (an information request is about its enquiry's subjects).</summary>
    public Decision Decide(Record record, IEnumerable<Guid> subjects) => Decide(RecordFacts.For(record) with { SubjectIds = subjects.ToHashSet() });

    private Decision Decide(ResourceFacts facts)
    {
        using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity("policy.decide");
        var decision = policy.Decide(new AccessRequest(Principal, Purpose, Enquiry, facts, _consents, OverrideJustification), Now);
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
