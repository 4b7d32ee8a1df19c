using System.Collections.Concurrent;
using System.Reflection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Decisions;

/// <summary>
/// What the decision point is told about a stored record: its type, owner, class, subjects, date and
/// fields (with a field's own class where it differs). Metadata only: nothing here is decrypted.
/// Every API builds its facts here, so FHIR and OData decide on exactly the same terms.
/// </summary>
public static class RecordFacts
{
    public const string PersonAddressClass = "person.address";
    public const string ConfidentialAddressClass = "address.confidential";
    private static readonly ConcurrentDictionary<(Type, string), IReadOnlyList<FieldFacts>> FieldCache = new();

    public static ResourceFacts For(Record record) => record switch
    {
        Person p => Facts(p, [p.Id], null),
        ChronologyEvent e => Facts(e, e.Subjects.Select(s => s.PersonId), e.OccurredAt),
        Involvement i => Facts(i, [i.PersonId], i.StartedAt),
        PersonState s => Facts(s, [s.PersonId], s.StartedAt),
        Household h => Facts(h, h.Members.Select(m => m.PersonId), null),
        Relationship r => Facts(r, [r.PersonId, r.RelatedPersonId], null),
        Consent c => Facts(c, [c.SubjectPersonId], c.PeriodStart),
        FamilyHelpPlan f => Facts(f, [f.PersonId], f.StartedAt),
        Referral r => Facts(r, [r.SubjectPersonId], r.ReceivedAt),
        Enquiry q => Facts(q, q.Subjects.Select(s => s.PersonId), q.OpenedAt),
        InformationRequest r => Facts(r, [], r.RequestedAt) with { AddressedTo = r.RequestedAgency },
        _ => Facts(record, [], null),
    };

    /// <summary>The name the APIs and rules use for a record type.</summary>
    public static string TypeName(Type type) => RecordFields.CamelCase(type.Name);

    private static ResourceFacts Facts(Record record, IEnumerable<Guid> subjects, DateTimeOffset? occurredAt) =>
        new(TypeName(record.GetType()), record.Id, record.OwningAgency, record.DataClass, subjects.ToHashSet(), occurredAt,
            FieldCache.GetOrAdd((record.GetType(), FieldKey(record)), key => FieldsOf(key.Item1, key.Item2)))
        {
            OwningOrganisation = record.OwningOrganisation,
        };

    /// <summary>What the classes of a record's fields depend on: its own class, and whether its owner marked the address protected.</summary>
    private static string FieldKey(Record record) =>
        record is Person { AddressConfidential: true } ? record.DataClass + ConfidentialMark : record.DataClass;

    private const string ConfidentialMark = "|address-confidential";

    private static List<FieldFacts> FieldsOf(Type type, string key)
    {
        var confidential = key.EndsWith(ConfidentialMark, StringComparison.Ordinal);
        var recordClass = confidential ? key[..^ConfidentialMark.Length] : key;
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => RecordFields.CamelCase(p.Name))
            .Where(RecordFields.All.Contains)
            .Select(name => new FieldFacts(name, FieldClass(type, recordClass, confidential, name)))
            .ToList();
    }

    /// <summary>
    /// A person's address is its own class, unless the whole record is already a confidential one; an address
    /// its owner marked protected (and the mark itself, which would tell of a refuge) is address.confidential;
    /// a referrer is always protected.
    /// </summary>
    private static string? FieldClass(Type type, string recordClass, bool confidentialAddress, string field) => (type.Name, field) switch
    {
        (nameof(Person), "address" or "addressConfidential") when confidentialAddress => ConfidentialAddressClass,
        (nameof(Person), "address" or "addressConfidential") when recordClass == "person.demographics" => PersonAddressClass,
        (nameof(Referral), "referrerIdentity") => SensitiveFields.ReferrerIdentityClass,
        _ => null,
    };
}
