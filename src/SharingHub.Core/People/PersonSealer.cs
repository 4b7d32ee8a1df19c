using System.Globalization;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;

namespace SharingHub.Core.People;

/// <summary>A person as a writer gives it, in the clear, before it is sealed for storage.</summary>
public sealed record PersonDetails(
    PersonKind Kind,
    string GivenName,
    string FamilyName,
    DateOnly BirthDate,
    string? Sex,
    string? Address,
    IReadOnlyList<(IdentifierKind Kind, string Value)> Identifiers,
    bool AddressConfidential = false)
{
    /// <summary>
    /// The addresses the writer gives as the person's previous ones (FHIR address with use "old"), most recent first; null
    /// when the write says nothing of them, and the previous postcodes already held are kept.
    /// </summary>
    public IReadOnlyList<string>? PreviousAddresses { get; init; }
}

/// <summary>
/// The one way a person's details become stored fields: every sensitive field encrypted under its own
/// context, every searchable value blind-indexed in its normal form. The demo loader and the APIs'
/// writes both come through here, so a person written either way is found by the same lookups.
/// </summary>
public sealed class PersonSealer(IFieldCipher cipher, IBlindIndexer indexer)
{
    private readonly LinkageEncoder _encoder = new(indexer);

    public const string FamilyNamePurpose = "family-name";
    public const string BirthDatePurpose = "birth-date";
    public const string PostcodePurpose = "postcode";

    /// <summary>Fills <paramref name="person"/>'s sealed fields, indexes and identifiers; its id and owner must already be set.</summary>
    public void Seal(Person person, PersonDetails details, Func<int, Guid>? identifierId = null)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(details);
        var birthDate = details.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        person.Kind = details.Kind;
        person.Sex = details.Sex;
        person.AddressConfidential = details.AddressConfidential;
        person.GivenName = cipher.Encrypt(details.GivenName, SensitiveFields.For(person, nameof(Person.GivenName)));
        person.FamilyName = cipher.Encrypt(details.FamilyName, SensitiveFields.For(person, nameof(Person.FamilyName)));
        person.BirthDate = cipher.Encrypt(birthDate, SensitiveFields.For(person, nameof(Person.BirthDate)));
        person.Address = details.Address is null ? null : cipher.Encrypt(details.Address, SensitiveFields.For(person, nameof(Person.Address)));
        person.FamilyNameIndex = indexer.Compute(FamilyNamePurpose, NameIndexForm(details.FamilyName));
        person.BirthDateIndex = indexer.Compute(BirthDatePurpose, birthDate);
        var (was, history) = (person.PostcodeIndex, person.PreviousPostcodeIndexes);
        person.PostcodeIndex = PostcodeIndex(details.Address);
        var encoding = _encoder.Encode(details.GivenName, details.FamilyName, details.BirthDate, details.Address, details.PreviousAddresses);
        // An address that changes becomes a previous one, so a record updated after a move still meets another agency's
        // record at the old address.
        Encode(person, encoding with
        {
            PreviousPostcodes = LinkageEncoding.History(person.PostcodeIndex, was, details.PreviousAddresses is null ? history : encoding.PreviousPostcodes),
        });
        if (details.Kind == PersonKind.Unborn)
        {
            // An expected date of delivery is not a date of birth: nothing matches or links on it.
            person.BirthDateIndex = null;
            person.BirthDateSwappedIndex = null;
            person.BirthYearMonthIndex = null;
        }
        person.Identifiers = details.Identifiers.Select((identifier, n) =>
        {
            var id = identifierId?.Invoke(n) ?? Guid.NewGuid();
            var normal = AgencyIdentifiers.Normalise(identifier.Kind, identifier.Value);
            return new PersonIdentifier
            {
                Id = id,
                PersonId = person.Id,
                Kind = identifier.Kind,
                Value = cipher.Encrypt(normal, SensitiveFields.ForIdentifier(new PersonIdentifier { Id = id, PersonId = person.Id }, person.OwningAgency, person.DataClass)),
                ValueIndex = IdentifierIndex(identifier.Kind, normal),
            };
        }).ToList();
    }

    /// <summary>
    /// The details of a person the caller's own agency holds, opened to merge a partial update into them;
    /// null when any key is unavailable (the update cannot be merged, and nothing is overwritten).
    /// </summary>
    public PersonDetails? Open(Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        string? Read(EncryptedValue? value, FieldContext context) => value is null ? null : cipher.Decrypt(value, context).Value;
        var given = Read(person.GivenName, SensitiveFields.For(person, nameof(Person.GivenName)));
        var family = Read(person.FamilyName, SensitiveFields.For(person, nameof(Person.FamilyName)));
        var birth = Read(person.BirthDate, SensitiveFields.For(person, nameof(Person.BirthDate)));
        var address = Read(person.Address, SensitiveFields.For(person, nameof(Person.Address)));
        var identifiers = person.Identifiers.Select(i => (i.Kind, Value: Read(i.Value, SensitiveFields.ForIdentifier(i, person.OwningAgency, person.DataClass)))).ToList();
        if (given is null || family is null || birth is null || (person.Address is not null && address is null) || identifiers.Any(i => i.Value is null))
        {
            return null;
        }
        return new PersonDetails(person.Kind, given, family, DateOnly.ParseExact(birth, "yyyy-MM-dd", CultureInfo.InvariantCulture), person.Sex, address,
            identifiers.Select(i => (i.Kind, i.Value!)).ToList(), person.AddressConfidential);
    }

    /// <summary>Sets (or, with <see cref="LinkageEncoding.None"/>, clears) a person's linkage encodings.</summary>
    public static void Encode(Person person, LinkageEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(encoding);
        person.FamilyPhoneticIndex = encoding.FamilyPhonetic;
        person.FamilyBloom = encoding.FamilyBloom;
        person.GivenNameIndex = encoding.GivenName;
        person.GivenPhoneticIndex = encoding.GivenPhonetic;
        person.GivenBloom = encoding.GivenBloom;
        person.BirthDateSwappedIndex = encoding.BirthDateSwapped;
        person.BirthYearMonthIndex = encoding.BirthYearMonth;
        person.PostcodeSectorIndex = encoding.PostcodeSector;
        person.PreviousPostcodeIndexes = encoding.PreviousPostcodes;
        person.FamilyVariantIndexes = encoding.FamilyVariants;
    }

    /// <summary>A stored person's linkage encodings.</summary>
    public static LinkageEncoding EncodingOf(Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        return new LinkageEncoding(person.FamilyPhoneticIndex, person.FamilyBloom, person.GivenNameIndex, person.GivenPhoneticIndex, person.GivenBloom,
            person.BirthDateSwappedIndex, person.BirthYearMonthIndex, person.PostcodeSectorIndex)
        {
            PreviousPostcodes = person.PreviousPostcodeIndexes,
            FamilyVariants = person.FamilyVariantIndexes,
        };
    }

    /// <summary>The blind index a lookup by identifier searches for (the value is normalised first).</summary>
    public byte[] IdentifierIndex(IdentifierKind kind, string value) => indexer.Compute(kind.ToString(), AgencyIdentifiers.Normalise(kind, value));

    public byte[] FamilyNameIndex(string familyName) => indexer.Compute(FamilyNamePurpose, NameIndexForm(familyName));

    public byte[] BirthDateIndex(DateOnly birthDate) => indexer.Compute(BirthDatePurpose, birthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public byte[]? PostcodeIndex(string? address) =>
        AgencyIdentifiers.PostcodeIndexForm(address) is { } postcode ? indexer.Compute(PostcodePurpose, postcode) : null;

    /// <summary>Family names are indexed upper-case, letters only, so "O'Neill" and "ONEILL" match.</summary>
    public static string NameIndexForm(string name) => new(name.Where(char.IsLetter).Select(char.ToUpperInvariant).ToArray());
}
