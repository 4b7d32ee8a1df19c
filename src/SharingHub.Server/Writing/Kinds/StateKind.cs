using System.Text.Json;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Writing.Kinds;

/// <summary>
/// A state of a person an agency records (child in need, looked after, persistent absence, a child protection plan held in its
/// own system): FHIR <c>Flag</c>, OData <c>States</c>. Active while it has no end.
/// </summary>
internal sealed class StateKind : WritableKind<PersonState>
{
    private static readonly HashSet<string> Elements = ["resourceType", "id", "meta", "text", "extension", "identifier", "status", "category", "code", "subject", "period", "author"];

    public override string FhirType => FhirTypes.Flag;
    public override string ODataSet => OData.ODataModel.States;
    public override IReadOnlyList<string> Fields { get; } = ["personId", "code", "startedAt", "endedAt", "detail", "dataClass", "sourceReference"];

    public override string FhirPath(string field) => field switch
    {
        "personId" => "Flag.subject",
        "code" => "Flag.code",
        "startedAt" => "Flag.period.start",
        "endedAt" => "Flag.period.end",
        "detail" => "Flag.extension",
        "dataClass" => "Flag.meta.tag",
        "sourceReference" => "Flag.identifier",
        _ => "Flag",
    };

    public override KindFields FromFhir(JsonElement root, string sourceSystem, Func<string, Guid?> patient, Action<string, string> error)
    {
        FhirFields.Unsupported(root, "Flag", Elements, error);
        var period = root.TryGetProperty("period", out var p) ? p : default;
        var end = FhirFields.Instant(FhirFields.Text(period, "end"));
        var status = FhirFields.Text(root, "status");
        if (status is not ("active" or "inactive") || (status == "inactive") != (end is not null))
        {
            error("Flag.status", "status is active (no period.end) or inactive (with the period.end at which the state ended)");
        }
        return new KindFields(new()
        {
            ["personId"] = root.TryGetProperty("subject", out var subject) ? patient(FhirFields.Text(subject, "reference") ?? "") : null,
            ["code"] = FhirFields.Coded(root, "code", FhirSystems.StateCode),
            ["startedAt"] = FhirFields.Instant(FhirFields.Text(period, "start")),
            ["endedAt"] = end,
            ["detail"] = FhirFields.Extension(root, FhirSystems.Detail, "valueString"),
            ["dataClass"] = FhirFields.DataClass(root),
            ["sourceReference"] = FhirFields.SourceReference(root, "Flag", sourceSystem, error),
        });
    }

    protected override void Apply(PersonState s, KindFields f, KindContext context, KindProblems problems)
    {
        var dataClass = DataClass(f, context.Policy, context.Agency, problems);
        var code = Code(f, "code", problems);
        var (start, end) = Period(f, "startedAt", "endedAt", problems);
        var detail = Text(f, "detail", RecordRules.MaxDetail, problems);
        var reference = f.Text("sourceReference");
        problems.Add("sourceReference", RecordRules.SourceReference(reference));
        if (problems.Items.Count > 0)
        {
            return;
        }
        s.PersonId = f.Id("personId")!.Value;
        s.DataClass = dataClass!;
        s.Code = code!;
        s.StartedAt = start;
        s.EndedAt = end;
        s.SourceReference = reference;
        s.Detail = Seal(context.Cipher, s, nameof(PersonState.Detail), detail);
    }

    protected override KindFields? Current(PersonState s, IFieldCipher cipher)
    {
        var detail = Open(cipher, s, nameof(PersonState.Detail), s.Detail, out var unavailable);
        return unavailable ? null : new KindFields(new()
        {
            ["personId"] = s.PersonId, ["code"] = s.Code, ["startedAt"] = s.StartedAt, ["endedAt"] = s.EndedAt, ["detail"] = detail,
            ["dataClass"] = s.DataClass, ["sourceReference"] = s.SourceReference,
        });
    }
}

/// <summary>
/// A service's involvement with a person (an open case, a plan, a school place; MAIS's involvement): FHIR <c>EpisodeOfCare</c>,
/// OData <c>Involvements</c>. The lead worker and summary are sealed.
/// </summary>
internal sealed class InvolvementKind : WritableKind<Involvement>
{
    private static readonly HashSet<string> Elements = ["resourceType", "id", "meta", "text", "extension", "identifier", "status", "type", "patient", "managingOrganization", "period", "careManager", "team"];

    public override string FhirType => FhirTypes.EpisodeOfCare;
    public override string ODataSet => OData.ODataModel.Involvements;
    public override IReadOnlyList<string> Fields { get; } = ["personId", "service", "status", "startedAt", "endedAt", "team", "leadWorker", "summary", "dataClass", "sourceReference"];

    public override string FhirPath(string field) => field switch
    {
        "personId" => "EpisodeOfCare.patient",
        "service" => "EpisodeOfCare.type",
        "status" => "EpisodeOfCare.status",
        "startedAt" => "EpisodeOfCare.period.start",
        "endedAt" => "EpisodeOfCare.period.end",
        "team" => "EpisodeOfCare.team",
        "leadWorker" => "EpisodeOfCare.careManager",
        "summary" => "EpisodeOfCare.extension",
        "dataClass" => "EpisodeOfCare.meta.tag",
        "sourceReference" => "EpisodeOfCare.identifier",
        _ => "EpisodeOfCare",
    };

    public override KindFields FromFhir(JsonElement root, string sourceSystem, Func<string, Guid?> patient, Action<string, string> error)
    {
        FhirFields.Unsupported(root, "EpisodeOfCare", Elements, error);
        var period = root.TryGetProperty("period", out var p) ? p : default;
        var status = FhirFields.Text(root, "status") switch
        {
            "active" => "open",
            "finished" => "closed",
            _ => null,
        };
        if (status is null)
        {
            error("EpisodeOfCare.status", "status is active (an open involvement) or finished (closed)");
        }
        return new KindFields(new()
        {
            ["personId"] = root.TryGetProperty("patient", out var patientElement) ? patient(FhirFields.Text(patientElement, "reference") ?? "") : null,
            ["service"] = FhirFields.Coded(root, "type", FhirSystems.Service),
            ["status"] = status ?? "open",
            ["startedAt"] = FhirFields.Instant(FhirFields.Text(period, "start")),
            ["endedAt"] = FhirFields.Instant(FhirFields.Text(period, "end")),
            ["team"] = FhirFields.Array(root, "team").Select(t => FhirFields.Text(t, "display")).FirstOrDefault(),
            ["leadWorker"] = root.TryGetProperty("careManager", out var manager) ? FhirFields.Text(manager, "display") : null,
            ["summary"] = FhirFields.Extension(root, FhirSystems.Summary, "valueString"),
            ["dataClass"] = FhirFields.DataClass(root),
            ["sourceReference"] = FhirFields.SourceReference(root, "EpisodeOfCare", sourceSystem, error),
        });
    }

    protected override void Apply(Involvement i, KindFields f, KindContext context, KindProblems problems)
    {
        var dataClass = DataClass(f, context.Policy, context.Agency, problems);
        var service = Code(f, "service", problems);
        var status = f.Text("status") switch
        {
            "open" => InvolvementStatus.Open,
            "closed" => InvolvementStatus.Closed,
            _ => (InvolvementStatus?)null,
        };
        problems.Add("status", status is null ? "status is open or closed" : null);
        var (start, end) = Period(f, "startedAt", "endedAt", problems);
        problems.Add("endedAt", status == InvolvementStatus.Closed && end is null ? "a closed involvement has the time it ended (endedAt)" : null);
        var team = Text(f, "team", 128, problems);
        var lead = Text(f, "leadWorker", RecordRules.MaxName, problems);
        var summary = Text(f, "summary", RecordRules.MaxSummary, problems);
        var reference = f.Text("sourceReference");
        problems.Add("sourceReference", RecordRules.SourceReference(reference));
        if (problems.Items.Count > 0)
        {
            return;
        }
        i.PersonId = f.Id("personId")!.Value;
        i.DataClass = dataClass!;
        i.Service = service!;
        i.Status = status!.Value;
        i.StartedAt = start;
        i.EndedAt = end;
        i.Team = team;
        i.SourceReference = reference;
        i.LeadWorker = Seal(context.Cipher, i, nameof(Involvement.LeadWorker), lead);
        i.Summary = Seal(context.Cipher, i, nameof(Involvement.Summary), summary);
    }

    protected override KindFields? Current(Involvement i, IFieldCipher cipher)
    {
        var lead = Open(cipher, i, nameof(Involvement.LeadWorker), i.LeadWorker, out var leadUnavailable);
        var summary = Open(cipher, i, nameof(Involvement.Summary), i.Summary, out var summaryUnavailable);
        return leadUnavailable || summaryUnavailable ? null : new KindFields(new()
        {
            ["personId"] = i.PersonId, ["service"] = i.Service, ["status"] = i.Status == InvolvementStatus.Open ? "open" : "closed", ["startedAt"] = i.StartedAt,
            ["endedAt"] = i.EndedAt, ["team"] = i.Team, ["leadWorker"] = lead, ["summary"] = summary, ["dataClass"] = i.DataClass, ["sourceReference"] = i.SourceReference,
        });
    }
}
