using System.Text.Json;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Writing.Kinds;

/// <summary>
/// How two people an agency holds are related (a parent of a child, with or without parental responsibility; a partner; a
/// sibling): FHIR <c>RelatedPerson</c> (the related person's own record as extension person-record, the patient they are related
/// to as <c>patient</c>, the relation as a v3 RoleCode), OData <c>Relationships</c>. Both people are the writer's own records.
/// </summary>
internal sealed class RelationshipWritable : WritableKind<Relationship>
{
    private static readonly HashSet<string> Elements = ["resourceType", "id", "meta", "text", "extension", "identifier", "active", "patient", "relationship"];

    /// <summary>The v3 RoleCode of each kind, as reads show it: "the person is the patient's ...".</summary>
    internal static readonly IReadOnlyDictionary<string, RelationshipKind> RoleCodes = new Dictionary<string, RelationshipKind>(StringComparer.Ordinal)
    {
        ["PRN"] = RelationshipKind.ParentOf, ["STPPRN"] = RelationshipKind.StepParentOf, ["GUARD"] = RelationshipKind.CarerOf, ["SIB"] = RelationshipKind.SiblingOf,
        ["SIGOTHR"] = RelationshipKind.PartnerOf, ["GRPRN"] = RelationshipKind.GrandparentOf, ["FAMMEMB"] = RelationshipKind.RelativeOf,
    };

    public override string FhirType => FhirTypes.RelatedPerson;
    public override string ODataSet => OData.ODataModel.Relationships;
    public override IReadOnlyList<string> PersonFields => ["personId", "relatedPersonId"];
    public override IReadOnlyList<string> Fields { get; } = ["personId", "relatedPersonId", "kind", "hasParentalResponsibility", "dataClass", "sourceReference"];

    public override string FhirPath(string field) => field switch
    {
        "personId" => "RelatedPerson.extension",
        "relatedPersonId" => "RelatedPerson.patient",
        "kind" => "RelatedPerson.relationship",
        "hasParentalResponsibility" => "RelatedPerson.extension",
        "dataClass" => "RelatedPerson.meta.tag",
        "sourceReference" => "RelatedPerson.identifier",
        _ => "RelatedPerson",
    };

    public override KindFields FromFhir(JsonElement root, string sourceSystem, Func<string, Guid?> patient, Action<string, string> error)
    {
        FhirFields.Unsupported(root, "RelatedPerson", Elements, error);
        var code = FhirFields.Coded(root, "relationship", FhirSystems.RoleCode);
        if (code is null || !RoleCodes.ContainsKey(code))
        {
            error("RelatedPerson.relationship", $"the relation is one of {FhirSystems.RoleCode} {string.Join(", ", RoleCodes.Keys)}");
        }
        var person = FhirFields.Array(root, "extension").Where(e => FhirFields.Text(e, "url") == FhirSystems.RelatedPersonRecord)
            .Select(e => e.TryGetProperty("valueReference", out var r) ? FhirFields.Text(r, "reference") : null).FirstOrDefault();
        var responsibility = FhirFields.Array(root, "extension").Where(e => FhirFields.Text(e, "url") == FhirSystems.ParentalResponsibility)
            .Select(e => e.TryGetProperty("valueBoolean", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean() : (bool?)null).FirstOrDefault();
        return new KindFields(new()
        {
            ["personId"] = person is null ? null : patient(person),
            ["relatedPersonId"] = root.TryGetProperty("patient", out var p) ? patient(FhirFields.Text(p, "reference") ?? "") : null,
            ["kind"] = code is not null && RoleCodes.TryGetValue(code, out var kind) ? ODataEnum(kind) : null,
            ["hasParentalResponsibility"] = responsibility ?? false,
            ["dataClass"] = FhirFields.DataClass(root),
            ["sourceReference"] = FhirFields.SourceReference(root, "RelatedPerson", sourceSystem, error),
        });
    }

    private static string ODataEnum(RelationshipKind kind) => OData.ODataModel.EnumName(kind);

    protected override void Apply(Relationship r, KindFields f, KindContext context, KindProblems problems)
    {
        var dataClass = DataClass(f, context.Policy, context.Agency, problems);
        var kind = Enum.GetValues<RelationshipKind>().Where(k => ODataEnum(k) == f.Text("kind")).Select(k => (RelationshipKind?)k).FirstOrDefault();
        problems.Add("kind", kind is null ? $"kind is one of {string.Join(", ", Enum.GetValues<RelationshipKind>().Select(ODataEnum))}" : null);
        var responsibility = f.Values.GetValueOrDefault("hasParentalResponsibility");
        problems.Add("hasParentalResponsibility", responsibility is not (null or bool) ? "hasParentalResponsibility is true or false" : null);
        problems.Add("relatedPersonId", f.Id("personId") is { } one && one == f.Id("relatedPersonId") ? "a person is not related to themselves" : null);
        var reference = f.Text("sourceReference");
        problems.Add("sourceReference", RecordRules.SourceReference(reference));
        if (problems.Items.Count > 0)
        {
            return;
        }
        r.DataClass = dataClass!;
        r.PersonId = f.Id("personId")!.Value;
        r.RelatedPersonId = f.Id("relatedPersonId")!.Value;
        r.Kind = kind!.Value;
        r.HasParentalResponsibility = responsibility is true;
        r.SourceReference = reference;
    }

    protected override KindFields? Current(Relationship r, IFieldCipher cipher) => new(new()
    {
        ["personId"] = r.PersonId, ["relatedPersonId"] = r.RelatedPersonId, ["kind"] = ODataEnum(r.Kind), ["hasParentalResponsibility"] = r.HasParentalResponsibility,
        ["dataClass"] = r.DataClass, ["sourceReference"] = r.SourceReference,
    });
}
