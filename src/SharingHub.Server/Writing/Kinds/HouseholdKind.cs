using System.Text.Json;
using SharingHub.Core.Records;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Writing.Kinds;

/// <summary>
/// A household as one agency knows it: FHIR <c>Group</c> (its reference as identifier, the address as extension, each member a
/// Patient with a household role), OData <c>Households</c>. Every member is the writer's own record of the person. Its address is
/// sealed with a blind index of the postcode (for linkage); a refuge or otherwise hidden address is written with the data class
/// <c>address.confidential</c>, which reaches only those the rules name.
/// </summary>
internal sealed class HouseholdKind : WritableKind<Household>
{
    public static readonly string[] MemberRoles = ["child", "parent", "carer", "sibling", "partner", "relative", "lodger"];
    private static readonly string[] DataClasses = ["person.demographics", "address.confidential"];
    private static readonly HashSet<string> Elements = ["resourceType", "id", "meta", "text", "extension", "identifier", "active", "type", "actual", "name", "quantity", "managingEntity", "member"];

    public override string FhirType => FhirTypes.Group;
    public override string ODataSet => OData.ODataModel.Households;
    public override string PersonField => "members";
    public override string ReferenceField => "reference";
    protected override string ReferenceProperty => nameof(Household.Reference);
    public override IReadOnlyList<string> Fields { get; } = ["reference", "address", "dataClass", "members"];

    public override string IdentifierSystem(string organisation) => $"{FhirSystems.Household}:{organisation}";

    public override IEnumerable<(string Field, Guid? Id, bool Required)> People(KindFields fields) =>
        Members(fields)?.Select((m, i) => ($"members[{i}].personId", m.Person, true)) ?? [];

    public override string FhirPath(string field) => field switch
    {
        "reference" => "Group.identifier",
        "address" => "Group.extension",
        "dataClass" => "Group.meta.tag",
        _ when field.StartsWith("members", StringComparison.Ordinal) => "Group.member",
        _ => "Group",
    };

    public override KindFields FromFhir(JsonElement root, string sourceSystem, Func<string, Guid?> patient, Action<string, string> error)
    {
        FhirFields.Unsupported(root, "Group", Elements, error);
        if (FhirFields.Text(root, "type") is not "person" || root.TryGetProperty("actual", out var actual) && actual.ValueKind != JsonValueKind.True)
        {
            error("Group.type", "a household is a Group of type person, actual true");
        }
        var members = new List<Dictionary<string, object?>>();
        foreach (var member in FhirFields.Array(root, "member"))
        {
            var reference = member.TryGetProperty("entity", out var entity) ? FhirFields.Text(entity, "reference") : null;
            members.Add(new()
            {
                ["personId"] = reference is null ? null : patient(reference),
                ["role"] = FhirFields.Extension(member, FhirSystems.HouseholdRole, "valueCode"),
            });
        }
        var identifiers = FhirFields.Array(root, "identifier").ToList();
        var reference2 = identifiers.Where(i => FhirFields.Text(i, "system") == sourceSystem).Select(i => FhirFields.Text(i, "value")).FirstOrDefault();
        if (identifiers.Count != 1 || reference2 is null)
        {
            error("Group.identifier", $"a household has one identifier: your reference for it, system {sourceSystem}");
        }
        return new KindFields(new()
        {
            ["reference"] = reference2,
            ["address"] = FhirFields.Extension(root, FhirSystems.HouseholdAddress, "valueString"),
            ["dataClass"] = FhirFields.DataClass(root),
            ["members"] = members,
        });
    }

    /// <summary>The members as either API gives them (a list of person and role); null if they are not such a list.</summary>
    private static List<(Guid? Person, string? Role)>? Members(KindFields f) => f.Values.GetValueOrDefault("members") switch
    {
        IEnumerable<Dictionary<string, object?>> list => list.Select(m => (new KindFields(m).Id("personId"), new KindFields(m).Text("role"))).ToList(),
        null => [],
        _ => null,
    };

    protected override void Apply(Household h, KindFields f, KindContext context, KindProblems problems)
    {
        var dataClass = f.Text("dataClass");
        problems.Add("dataClass", dataClass is null || !DataClasses.Contains(dataClass)
            ? "a household's data class is person.demographics, or address.confidential for a refuge or otherwise hidden address" : null);
        var reference = f.Text("reference");
        problems.Add("reference", reference is { Length: > 0 and <= 64 } ? null : "reference (your reference for the household, up to 64 characters, no personal data) is required");
        var address = Text(f, "address", RecordRules.MaxAddress, problems);
        var members = Members(f);
        problems.Add("members", members is null ? "members is a list of people (personId) with their role" : members.Count == 0 ? "a household has at least one member" : null);
        for (var i = 0; i < (members?.Count ?? 0); i++)
        {
            problems.Add($"members[{i}].role", MemberRoles.Contains(members![i].Role) ? null : $"a member's role is one of {string.Join(", ", MemberRoles)}");
        }
        problems.Add("members", members?.GroupBy(m => m.Person).Any(g => g.Count() > 1) == true ? "a person is a member of a household once" : null);
        if (problems.Items.Count > 0)
        {
            return;
        }
        h.DataClass = dataClass!;
        h.Reference = reference!;
        h.Address = Seal(context.Cipher, h, nameof(Household.Address), address);
        h.PostcodeIndex = address is null ? null : context.People.PostcodeIndex(address);
        // The members change in place: those who left go, roles change, newcomers join (a member is keyed by household and person).
        var wanted = members!.ToDictionary(m => m.Person!.Value, m => m.Role!);
        h.Members.RemoveAll(m => !wanted.ContainsKey(m.PersonId));
        foreach (var member in h.Members)
        {
            member.Role = wanted[member.PersonId];
        }
        h.Members.AddRange(wanted.Where(w => h.Members.All(m => m.PersonId != w.Key)).Select(w => new HouseholdMember { HouseholdId = h.Id, PersonId = w.Key, Role = w.Value }));
    }

    protected override KindFields? Current(Household h, Core.Crypto.IFieldCipher cipher)
    {
        var address = Open(cipher, h, nameof(Household.Address), h.Address, out var unavailable);
        return unavailable ? null : new KindFields(new()
        {
            ["reference"] = h.Reference, ["address"] = address, ["dataClass"] = h.DataClass,
            ["members"] = h.Members.Select(m => new Dictionary<string, object?> { ["personId"] = m.PersonId, ["role"] = m.Role }).ToList(),
        });
    }
}
