using System.Text.Json;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Writing.Kinds;

/// <summary>
/// A family's Family Help: the single assessment and the plan that follows it, written by the organisation of the Family Help
/// Lead Practitioner: FHIR <c>CarePlan</c> (category family-help; the team around the family as a contained <c>CareTeam</c>),
/// OData <c>FamilyHelpPlans</c>. A new lead practitioner is a handover: the spell before ends and the next starts at the write,
/// so the history stays and "who leads" has one answer at any time. A lead at another organisation takes the record over: it is
/// theirs to change from then on, and no longer the writer's.
/// </summary>
internal sealed class FamilyHelpKind : WritableKind<FamilyHelpPlan>
{
    public const string Category = "family-help";
    public const string Activities = "urn:sharinghub:family-help-activity";
    public const string TeamRoles = "urn:sharinghub:team-role";
    public const string ChildsVoiceAuthor = "the child";
    public const string TeamId = "team";
    private const int MaxLines = 20;
    private static readonly HashSet<string> Elements = ["resourceType", "id", "meta", "text", "identifier", "status", "intent", "category", "title", "description", "subject",
        "period", "author", "careTeam", "contained", "note", "activity"];

    public override string FhirType => FhirTypes.CarePlan;
    public override string ODataSet => OData.ODataModel.FamilyHelpPlans;
    public override IReadOnlyList<string> Fields { get; } = ["personId", "status", "startedAt", "endedAt", "assessedAt", "needs", "childsVoice", "outcomes", "practitioners",
        "agenciesInvolved", "reviewDueAt", "leadPractitioner", "leadOrganisation", "sourceReference"];

    public override string FhirPath(string field) => field switch
    {
        "personId" => "CarePlan.subject",
        "status" => "CarePlan.status",
        "startedAt" => "CarePlan.period.start",
        "endedAt" => "CarePlan.period.end",
        "assessedAt" or "outcomes" or "reviewDueAt" => "CarePlan.activity",
        "needs" => "CarePlan.description",
        "childsVoice" => "CarePlan.note",
        "practitioners" or "agenciesInvolved" or "leadPractitioner" => "CarePlan.contained",
        "leadOrganisation" => "CarePlan.author",
        "sourceReference" => "CarePlan.identifier",
        _ => "CarePlan",
    };

    public static string FhirStatus(FamilyHelpStatus status) => status switch
    {
        FamilyHelpStatus.Assessing => "draft",
        FamilyHelpStatus.Active => "active",
        _ => "completed",
    };

    public override KindFields FromFhir(JsonElement root, string sourceSystem, Func<string, Guid?> patient, Action<string, string> error)
    {
        FhirFields.Unsupported(root, "CarePlan", Elements, error);
        var status = FhirFields.Text(root, "status") switch
        {
            "draft" => "assessing",
            "active" => "active",
            "completed" => "closed",
            _ => null,
        };
        if (status is null)
        {
            error("CarePlan.status", "status is draft (assessing), active (the plan agreed) or completed (Family Help ended)");
        }
        if (FhirFields.Text(root, "intent") != "plan")
        {
            error("CarePlan.intent", "intent is plan");
        }
        var categories = FhirFields.Array(root, "category").SelectMany(c => FhirFields.Array(c, "coding")).Where(c => FhirFields.Text(c, "system") == FhirJourney.CarePlanCategories)
            .Select(c => FhirFields.Text(c, "code")).ToList();
        if (categories.Contains("child-protection-plan"))
        {
            error("CarePlan.category", "a child protection plan is made by a conference's decision (the case's workflow), not written here");
        }
        else if (!categories.Contains(Category))
        {
            error("CarePlan.category", $"a Family Help plan has category {FhirJourney.CarePlanCategories}|{Category}");
        }
        var period = root.TryGetProperty("period", out var p) ? p : default;
        object? assessedAt = null, reviewDueAt = null;
        var outcomes = new List<string>();
        foreach (var detail in FhirFields.Array(root, "activity").Select(a => a.TryGetProperty("detail", out var d) ? d : default))
        {
            var code = FhirFields.Coded(detail, "code", Activities);
            var when = detail.ValueKind == JsonValueKind.Object && detail.TryGetProperty("scheduledPeriod", out var sp) ? FhirFields.Instant(FhirFields.Text(sp, "end")) : null;
            switch (code)
            {
                case "assessment" when FhirFields.Text(detail, "status") == "completed": assessedAt = when; break;
                case "assessment": break;
                case "outcome" when FhirFields.Text(detail, "description") is { } outcome: outcomes.Add(outcome); break;
                case "review": reviewDueAt = when; break;
                default:
                    error("CarePlan.activity", $"each activity's detail.code is {Activities} assessment (completed, scheduledPeriod.end when), outcome (with its description) or review (scheduledPeriod.end due)");
                    break;
            }
        }
        string? lead = null;
        var practitioners = new List<string>();
        var agencies = new List<string>();
        var team = FhirFields.Array(root, "contained").ToList();
        if (team.Count != 1 || FhirFields.Text(team[0], "resourceType") != "CareTeam" || FhirFields.Text(team[0], "id") != TeamId
            || FhirFields.Array(root, "careTeam").Select(r => FhirFields.Text(r, "reference")).SingleOrDefault() != "#" + TeamId)
        {
            error("CarePlan.contained", $"the team around the family is one contained CareTeam (id '{TeamId}') that careTeam references (#{TeamId})");
        }
        foreach (var participant in team.Take(1).SelectMany(t => FhirFields.Array(t, "participant")))
        {
            var member = participant.TryGetProperty("member", out var m) ? m : default;
            var ended = participant.TryGetProperty("period", out var pp) && FhirFields.Text(pp, "end") is not null;
            switch (FhirFields.Coded(participant, "role", TeamRoles))
            {
                // The spells before are the hub's own history: a plan read and written back carries them, and they are not read.
                case "lead-practitioner" when ended: break;
                case "lead-practitioner" when lead is null && FhirFields.Text(member, "display") is { } name: lead = name; break;
                case "practitioner" when FhirFields.Text(member, "display") is { } name: practitioners.Add(name); break;
                case "agency" when member.ValueKind == JsonValueKind.Object && member.TryGetProperty("identifier", out var id) && FhirFields.Text(id, "system") == FhirSystems.Agency
                    && FhirFields.Text(id, "value") is { } agency:
                    agencies.Add(agency);
                    break;
                default:
                    error("CarePlan.contained", $"each team participant has a role ({TeamRoles}) of lead-practitioner (one, without period.end) or practitioner (member.display), or agency (member.identifier {FhirSystems.Agency})");
                    break;
            }
        }
        // The lead's organisation as reads show it: its agency (the sector's default organisation) or its own identifier.
        var author = root.TryGetProperty("author", out var a) && a.TryGetProperty("identifier", out var ai) ? ai : default;
        string? leadOrganisation = null;
        if (root.TryGetProperty("author", out _))
        {
            leadOrganisation = FhirFields.Text(author, "system") is { } system && FhirFields.Text(author, "value") is { } value ? $"{system}|{value}" : null;
            if (leadOrganisation is null)
            {
                error("CarePlan.author", "the author is the lead practitioner's organisation: a reference with an identifier (its agency, or its own identifier)");
            }
        }
        return new KindFields(new()
        {
            ["personId"] = root.TryGetProperty("subject", out var subject) ? patient(FhirFields.Text(subject, "reference") ?? "") : null,
            ["status"] = status,
            ["startedAt"] = FhirFields.Instant(FhirFields.Text(period, "start")),
            ["endedAt"] = FhirFields.Instant(FhirFields.Text(period, "end")),
            ["assessedAt"] = assessedAt,
            ["needs"] = FhirFields.Text(root, "description"),
            ["childsVoice"] = FhirFields.Array(root, "note").Where(n => FhirFields.Text(n, "authorString") == ChildsVoiceAuthor).Select(n => FhirFields.Text(n, "text")).FirstOrDefault(),
            ["outcomes"] = outcomes.Count == 0 ? null : string.Join('\n', outcomes),
            ["practitioners"] = practitioners.Count == 0 ? null : string.Join('\n', practitioners),
            ["agenciesInvolved"] = agencies,
            ["reviewDueAt"] = reviewDueAt,
            ["leadPractitioner"] = lead,
            ["leadOrganisation"] = leadOrganisation,
            ["sourceReference"] = FhirFields.SourceReference(root, "CarePlan", sourceSystem, error),
        });
    }

    protected override void Apply(FamilyHelpPlan plan, KindFields f, KindContext context, KindProblems problems)
    {
        var status = f.Text("status") switch
        {
            "assessing" => FamilyHelpStatus.Assessing,
            "active" => FamilyHelpStatus.Active,
            "closed" => FamilyHelpStatus.Closed,
            _ => (FamilyHelpStatus?)null,
        };
        problems.Add("status", status is null ? "status is assessing (the single assessment under way), active (the plan agreed) or closed" : null);
        var (start, end) = Period(f, "startedAt", "endedAt", problems);
        var assessedAt = At(f, "assessedAt", problems);
        var reviewDueAt = At(f, "reviewDueAt", problems);
        var needs = Text(f, "needs", RecordRules.MaxDetail, problems);
        var voice = Text(f, "childsVoice", RecordRules.MaxDetail, problems);
        var outcomes = Lines(f, "outcomes", problems);
        var practitioners = Lines(f, "practitioners", problems);
        var agencies = f.Strings("agenciesInvolved");
        problems.Add("agenciesInvolved", agencies is null ? "agenciesInvolved is a list of agencies"
            : agencies.FirstOrDefault(a => !context.Policy.Agencies.ContainsKey(a)) is { } unknown ? $"'{SearchParameters.Safe(unknown)}' is not an agency of the partnership" : null);
        var lead = Text(f, "leadPractitioner", 256, problems, required: true);
        var reference = f.Text("sourceReference");
        problems.Add("sourceReference", RecordRules.SourceReference(reference));
        // What each stage needs: the plan follows the assessment, and ends with a date.
        if (status is FamilyHelpStatus.Active or FamilyHelpStatus.Closed && assessedAt is null)
        {
            problems.Add("assessedAt", "a plan follows the single assessment: give when it was completed (assessedAt)");
        }
        if (status == FamilyHelpStatus.Active)
        {
            problems.Add("outcomes", outcomes is { Count: 0 } ? "an agreed plan has at least one measurable outcome" : null);
            problems.Add("reviewDueAt", reviewDueAt is null ? "an agreed plan has a review date (reviewDueAt)" : null);
        }
        problems.Add("endedAt", status == FamilyHelpStatus.Closed && end is null ? "closed Family Help has an end (endedAt)"
            : status != FamilyHelpStatus.Closed && end is not null ? "only closed Family Help has an end" : null);
        problems.Add("assessedAt", assessedAt is { } done && done < start ? "assessedAt is before startedAt" : null);
        var organisation = Organisation(plan, f.Text("leadOrganisation"), context, problems);
        if (problems.Items.Count > 0)
        {
            return;
        }
        plan.DataClass = FamilyHelpPlan.DataClassCode;
        plan.PersonId = f.Id("personId")!.Value;
        plan.Status = status!.Value;
        plan.StartedAt = start;
        plan.EndedAt = end;
        plan.AssessedAt = assessedAt;
        plan.ReviewDueAt = reviewDueAt;
        plan.AgenciesInvolved = agencies!.Distinct(StringComparer.Ordinal).ToList();
        plan.SourceReference = reference;
        Handover(plan, lead!, organisation!, context.Now);
        // Sealed under the record's owner, so after a handover to another organisation's lead, under theirs.
        plan.Needs = Seal(context.Cipher, plan, nameof(FamilyHelpPlan.Needs), needs);
        plan.ChildsVoice = Seal(context.Cipher, plan, nameof(FamilyHelpPlan.ChildsVoice), voice);
        plan.Outcomes = Seal(context.Cipher, plan, nameof(FamilyHelpPlan.Outcomes), outcomes!.Count == 0 ? null : string.Join('\n', outcomes));
        plan.Practitioners = Seal(context.Cipher, plan, nameof(FamilyHelpPlan.Practitioners), practitioners!.Count == 0 ? null : string.Join('\n', practitioners));
    }

    /// <summary>The lead practitioner's organisation: the writer's own, or on a change another one of the partnership's, which takes the record over.</summary>
    private static Policies.Model.Organisation? Organisation(FamilyHelpPlan plan, string? code, KindContext context, KindProblems problems)
    {
        code ??= plan.Leads.FirstOrDefault(l => l.To is null)?.Organisation ?? plan.OwningOrganisation;
        // FHIR names it by identifier: an agency (its default organisation), the hub's code, or the organisation's own scheme.
        if (code.Split('|', 2) is [var system, var value])
        {
            code = system == FhirSystems.Agency && context.Policy.Agencies.ContainsKey(value) ? context.Policy.DefaultOrganisation(value).Code
                : system == FhirSystems.Organisation ? value
                : context.Policy.Organisations.Values.FirstOrDefault(o => FhirSystems.ForScheme(o.Scheme) == system && o.Id == value)?.Code ?? value;
        }
        if (!context.Policy.Organisations.TryGetValue(code, out var organisation))
        {
            problems.Add("leadOrganisation", $"'{SearchParameters.Safe(code)}' is not an organisation of the partnership (policies/organisations.yaml)");
            return null;
        }
        if (plan.Leads.Count == 0 && organisation.Code != plan.OwningOrganisation)
        {
            problems.Add("leadOrganisation", "Family Help is recorded by the lead practitioner's own organisation; to hand it to another organisation's lead, record it first and then change the lead");
            return null;
        }
        return organisation;
    }

    /// <summary>Starts the first spell, or on a new lead ends the open one and starts the next; a lead at another organisation moves the record to it.</summary>
    private static void Handover(FamilyHelpPlan plan, string lead, Policies.Model.Organisation organisation, DateTimeOffset now)
    {
        var current = plan.Leads.FirstOrDefault(l => l.To is null);
        if (current is not null && current.Practitioner == lead && current.Organisation == organisation.Code)
        {
            return;
        }
        if (current is not null)
        {
            current.To = now;
        }
        plan.Leads.Add(new FamilyHelpLead
        {
            Id = Guid.NewGuid(), PlanId = plan.Id, Practitioner = lead, Agency = organisation.Sector, Organisation = organisation.Code, From = current is null ? plan.StartedAt : now,
        });
        plan.LeadPractitioner = lead;
        plan.OwningAgency = organisation.Sector;
        plan.OwningOrganisation = organisation.Code;
    }

    private static DateTimeOffset? At(KindFields f, string field, KindProblems problems)
    {
        problems.Add(field, f.Values.GetValueOrDefault(field) is not (null or DateTimeOffset) ? $"{field} is a date and time with a zone" : null);
        return f.Instant(field) is { } at ? Core.Time.TimeProviderExtensions.TruncateForStorage(at) : null;
    }

    /// <summary>Text with one entry per line (outcomes, practitioners): each line up to 500 characters, at most 20.</summary>
    private static List<string>? Lines(KindFields f, string field, KindProblems problems)
    {
        var text = Text(f, field, MaxLines * 501, problems);
        var lines = (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        problems.Add(field, lines.Count > MaxLines ? $"{field} has at most {MaxLines} lines" : lines.Any(l => l.Length > 500) ? $"each line of {field} is up to 500 characters" : null);
        return lines;
    }

    protected override KindFields? Current(FamilyHelpPlan plan, IFieldCipher cipher)
    {
        var needs = Open(cipher, plan, nameof(FamilyHelpPlan.Needs), plan.Needs, out var a);
        var voice = Open(cipher, plan, nameof(FamilyHelpPlan.ChildsVoice), plan.ChildsVoice, out var b);
        var outcomes = Open(cipher, plan, nameof(FamilyHelpPlan.Outcomes), plan.Outcomes, out var c);
        var practitioners = Open(cipher, plan, nameof(FamilyHelpPlan.Practitioners), plan.Practitioners, out var d);
        return a || b || c || d ? null : new KindFields(new()
        {
            ["personId"] = plan.PersonId, ["status"] = plan.Status switch { FamilyHelpStatus.Assessing => "assessing", FamilyHelpStatus.Active => "active", _ => "closed" },
            ["startedAt"] = plan.StartedAt, ["endedAt"] = plan.EndedAt, ["assessedAt"] = plan.AssessedAt, ["needs"] = needs, ["childsVoice"] = voice, ["outcomes"] = outcomes,
            ["practitioners"] = practitioners, ["agenciesInvolved"] = plan.AgenciesInvolved, ["reviewDueAt"] = plan.ReviewDueAt, ["leadPractitioner"] = plan.LeadPractitioner,
            ["leadOrganisation"] = plan.Leads.FirstOrDefault(l => l.To is null)?.Organisation ?? plan.OwningOrganisation, ["sourceReference"] = plan.SourceReference,
        });
    }
}
