using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;

namespace SharingHub.Testing;

/// <summary>Test data builders: every test makes its own records, with synthetic values only.</summary>
public sealed class RecordBuilder(IFieldCipher cipher, IBlindIndexer indexer)
{
    public Person Person(string agency = "health", string given = "Ada", string family = "Testperson", string birthDate = "2015-03-04",
        IdentifierKind? kind = IdentifierKind.NhsNumber, string identifier = "9434765919", string? address = null, PersonKind personKind = PersonKind.Child,
        Guid? id = null)
    {
        var person = new Person { Id = id ?? Guid.NewGuid(), OwningAgency = agency, DataClass = "person.demographics" };
        People.Seal(person, new PersonDetails(personKind, given, family, DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture), "female", address,
            kind is { } k ? [(k, identifier)] : []));
        return person;
    }

    public PersonSealer People { get; } = new(cipher, indexer);

    public ChronologyEvent Event(Person subject, string agency = "police", string summary = "Police attended the home", DateTimeOffset? occurredAt = null,
        string? sourceReference = null, string? dataClass = null, string? detail = null, string category = "domestic-abuse-incident", Guid? id = null,
        Significance significance = Significance.High)
    {
        var ev = new ChronologyEvent
        {
            Id = id ?? Guid.NewGuid(),
            OwningAgency = agency,
            DataClass = dataClass ?? "police.incident",
            OccurredAt = occurredAt ?? new DateTimeOffset(2026, 10, 3, 22, 15, 0, TimeSpan.Zero),
            Category = category,
            Significance = significance,
            SourceReference = sourceReference,
        };
        ev.Summary = Seal(ev, nameof(ev.Summary), summary);
        ev.Detail = detail is null ? null : Seal(ev, nameof(ev.Detail), detail);
        ev.Subjects.Add(new EventSubject { EventId = ev.Id, PersonId = subject.Id });
        return ev;
    }

    public string Open(Record record, string field, EncryptedValue value) =>
        cipher.Decrypt(value, SensitiveFields.For(record, field)).Value
        ?? throw new InvalidOperationException("field unavailable");

    public EncryptedValue Seal(Record record, string field, string plaintext) =>
        cipher.Encrypt(plaintext, SensitiveFields.For(record, field));
}
