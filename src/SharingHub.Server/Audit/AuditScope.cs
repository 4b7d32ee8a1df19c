using SharingHub.Policies.Decisions;

namespace SharingHub.Server.Audit;

/// <summary>
/// What one request touched and what was decided, collected while it runs and written as its single
/// audit entry by <see cref="AuditFilter"/>. Ids, classes, field names and reasons only; never contents.
/// </summary>
public sealed class AuditScope
{
    private readonly List<object> _resources = [];
    private readonly HashSet<Guid> _subjects = [];
    private readonly HashSet<string> _owners = new(StringComparer.Ordinal);
    private int _permits;
    private int _denies;

    public string? Purpose { get; set; }
    public Guid? EnquiryId { get; set; }
    public string? OverrideJustification { get; set; }
    public bool IsOverride { get; private set; }
    public int Count { get; set; }
    public IReadOnlyCollection<Guid> Subjects => _subjects;
    public IReadOnlyCollection<string> Owners => _owners;
    public IReadOnlyList<object> Resources => _resources;

    public string Decision => (_permits, _denies) switch
    {
        (0, 0) => "none",
        (_, 0) => "permit",
        (0, _) => "deny",
        _ => "mixed",
    };

    /// <summary>Records a decision about one resource: disclosed fields for a permit, reasons for a refusal.</summary>
    public void Record(ResourceFacts resource, Decision decision)
    {
        _subjects.UnionWith(resource.SubjectIds);
        _owners.Add(resource.OwningAgency);
        if (decision.IsPermit)
        {
            _permits++;
        }
        else
        {
            _denies++;
        }
        IsOverride |= decision.IsOverride;
        _resources.Add(new
        {
            type = resource.ResourceType,
            id = resource.Id,
            owner = resource.OwningAgency,
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
}
