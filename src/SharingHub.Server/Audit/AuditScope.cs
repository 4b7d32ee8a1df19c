using SharingHub.Policies.Decisions;

namespace SharingHub.Server.Audit;

/// <summary>
/// What one request touched and what was decided, collected while it runs and written as its single
/// audit entry by <see cref="AuditFilter"/>. Ids, classes, field names and reasons only; never contents.
/// </summary>
public sealed class AuditScope
{
    private readonly List<object> _resources = [];
    private readonly Dictionary<DecisionKey, BoundedIds> _groups = [];
    private readonly List<(string Owner, string Type, Guid Id, int DelayHours)> _ownerNotices = [];
    private readonly HashSet<Guid> _subjects = [];
    private readonly Dictionary<string, HashSet<Guid>> _refusedSubjects = new(StringComparer.Ordinal);
    private readonly Dictionary<DecisionKey, BoundedIds> _groupSubjects = [];
    private readonly HashSet<string> _owners = new(StringComparer.Ordinal);
    private int _permits;
    private int _denies;
    private int _writes;

    public string? Purpose { get; set; }

    /// <summary>Who made a request that carries no bearer token, once authenticated another way (a client assertion, a sign-in).</summary>
    public (string Agency, string Actor)? Caller { get; set; }
    public Guid? EnquiryId { get; set; }
    public string? OverrideJustification { get; set; }
    public bool IsOverride { get; private set; }
    public int Count { get; set; }

    /// <summary>Why a person-info-query was answered as it was, where matching itself decided it (two people fitting it).</summary>
    public string? MaisMatch { get; set; }

    /// <summary>The correlation id this request gave the exchanges it made with partners (the trace id of their W3C traceparent).</summary>
    public string? Correlation { get; set; }

    /// <summary>The MAIS reason (a legal basis URI) of a person-info-query, asked of the hub or by it.</summary>
    public Uri? MaisReason { get; set; }
    /// <summary>
    /// The people the entry is indexed under for searching: those whose records were disclosed or written, and
    /// those of the requester's own agency's records it was refused. Who another agency's refused records were
    /// about is that agency's to know: it stays on the refused line, which only that agency's IG officer reads.
    /// </summary>
    public IReadOnlyCollection<Guid> SubjectsFor(string requesterOrganisation) =>
        _subjects.Concat(_refusedSubjects.GetValueOrDefault(requesterOrganisation) ?? []).ToHashSet();
    public IReadOnlyCollection<string> Owners => _owners;
    public IReadOnlyList<object> Resources => _resources;

    /// <summary>Records disclosed under a rule that tells their owner (as in CP-IS), with the owner's delay.</summary>
    public IReadOnlyList<(string Owner, string Type, Guid Id, int DelayHours)> OwnerNotices => _ownerNotices;

    public string Decision => (_permits, _denies) switch
    {
        (0, 0) => _writes > 0 ? "write" : "none",
        (_, 0) => "permit",
        (0, _) => "deny",
        _ => "mixed",
    };

    /// <summary>
    /// Records a decision about one resource: disclosed fields for a permit, reasons for a refusal.
    /// Resources decided alike (same type, owner, class, fields and rules) share one line with all their
    /// ids, so a chronology of hundreds of entries stays a compact entry that still names every record.
    /// </summary>
    /// <summary>One exchange with a partner in a brokered query: the question sent and the answer (or its failure), never its contents.</summary>
    public void RecordExchange(string partner, string agency, string state, long elapsedMs, int attempts, bool? match) =>
        _resources.Add(new { type = "mais-exchange", partner, agency, state, elapsedMs, attempts, match });

    public void Record(ResourceFacts resource, Decision decision)
    {
        if (decision.IsPermit)
        {
            _subjects.UnionWith(resource.SubjectIds);
        }
        else
        {
            if (!_refusedSubjects.TryGetValue(resource.Owner, out var refused))
            {
                refused = [];
                _refusedSubjects[resource.Owner] = refused;
            }
            refused.UnionWith(resource.SubjectIds);
        }
        _owners.Add(resource.Owner);
        if (decision.IsPermit)
        {
            _permits++;
        }
        else
        {
            _denies++;
        }
        IsOverride |= decision.IsOverride;
        if (decision.IsPermit && decision.NotifyOwner is { } notify)
        {
            _ownerNotices.Add((resource.Owner, resource.ResourceType, resource.Id, notify.DelayHours));
        }
        var key = new DecisionKey(resource.ResourceType, resource.Owner, resource.DataClass, decision);
        if (!_groups.TryGetValue(key, out var ids))
        {
            ids = new BoundedIds();
            _groups[key] = ids;
            var subjects = new BoundedIds();
            _groupSubjects[key] = subjects;
            _resources.Add(new
            {
                type = resource.ResourceType,
                ids,
                // Whom the line's records are about: on a refused line this is the owning agency's to see (AuditViews).
                subjects = decision.IsPermit ? null : subjects,
                owner = resource.Owner,
                dataClass = resource.DataClass,
                decision = decision.IsPermit ? "permit" : "deny",
                fields = decision.Fields.Order(StringComparer.Ordinal),
                redacted = decision.RedactedFields.Order(StringComparer.Ordinal),
                rules = decision.RuleIds,
                reasons = decision.Reasons,
                lawfulBasis = decision.LawfulBasis,
                consent = decision.ConsentBasis,
                notifyOwnerAfterHours = decision.NotifyOwner?.DelayHours,
                review = decision.FlagForReview,
                policy = decision.PolicyVersion,
            });
        }
        ids.Add(resource.Id);
        if (!decision.IsPermit)
        {
            var lineSubjects = _groupSubjects[key];
            foreach (var subject in resource.SubjectIds)
            {
                lineSubjects.AddOnce(subject);
            }
        }
    }

    /// <summary>Records an alert the write raised: the writer was told of a child's state (a plan, being looked after) and its owner was notified.</summary>
    public void RecordAlert(Guid eventId, Guid stateId, string state, string owner)
    {
        _owners.Add(owner);
        _resources.Add(new { type = "alert", @event = eventId, ids = new[] { stateId }, state, owner, operation = "disclosed-to-writer-and-notified" });
    }

    /// <summary>Whether this request stored a change (a record written, a linkage decided).</summary>
    public bool Wrote => _writes > 0;

    /// <summary>Records a record written by this request (a create or an update of the caller's own agency's record).</summary>
    public void RecordWrite(ResourceFacts resource, string operation)
    {
        _subjects.UnionWith(resource.SubjectIds);
        _owners.Add(resource.Owner);
        _writes++;
        _resources.Add(new { type = resource.ResourceType, ids = new[] { resource.Id }, owner = resource.Owner, dataClass = resource.DataClass, operation });
    }

    /// <summary>
    /// Records a person's decision on a pair of person records (confirm, reject, unlink) with the evidence it was made on;
    /// the entry is indexed under both records, so an IG officer finds it by either.
    /// </summary>
    public void RecordLinkageDecision(Guid pair, Guid personA, Guid personB, string state, double weight, object evidence)
    {
        _subjects.Add(personA);
        _subjects.Add(personB);
        _writes++;
        _resources.Add(new { type = "person-pair", ids = new[] { pair }, persons = new[] { personA, personB }, operation = state, weight, evidence });
    }

    /// <summary>Two decisions group together when everything the audit line says about them is the same.</summary>
    private sealed record DecisionKey(string Type, string Owner, string DataClass, Decision Decision)
    {
        public bool Equals(DecisionKey? other) =>
            other is not null && Type == other.Type && Owner == other.Owner && DataClass == other.DataClass && Same(Decision, other.Decision);

        public override int GetHashCode() => HashCode.Combine(Type, Owner, DataClass, Decision.Effect, Decision.Fields.Count, Decision.RuleIds.Count);

        private static bool Same(Decision a, Decision b) =>
            ReferenceEquals(a, b)
            || (a.Effect == b.Effect && a.Fields.SetEquals(b.Fields) && a.RedactedFields.SetEquals(b.RedactedFields)
                && a.RuleIds.SequenceEqual(b.RuleIds) && a.Reasons.SequenceEqual(b.Reasons) && a.LawfulBasis == b.LawfulBasis
                && a.ConsentBasis == b.ConsentBasis && a.NotifyOwner == b.NotifyOwner && a.FlagForReview == b.FlagForReview
                && a.IsOverride == b.IsOverride && a.PolicyVersion == b.PolicyVersion);
    }
}
