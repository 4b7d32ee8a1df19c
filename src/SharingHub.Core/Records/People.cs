using SharingHub.Core.Crypto;

namespace SharingHub.Core.Records;

public enum PersonKind
{
    Child,
    Adult,

    /// <summary>A child not yet born: the record's birth date holds the expected date of delivery, and is never compared as a birth date.</summary>
    Unborn,
}

public enum IdentifierKind
{
    NhsNumber,
    Upn,
    PncId,
    Crn,
    LaPersonId,
}

/// <summary>
/// One agency's record of a person. Each agency holds its own record with its own identifier and its
/// own spelling of the name; record linkage relates them, it never merges them.
/// </summary>
public sealed class Person : Record
{
    public PersonKind Kind { get; set; }
    public EncryptedValue GivenName { get; set; } = null!;
    public EncryptedValue FamilyName { get; set; } = null!;
    public EncryptedValue BirthDate { get; set; } = null!;
    public string? Sex { get; set; }
    public EncryptedValue? Address { get; set; }

    /// <summary>
    /// Set by the owning agency when the address is a protected detail (a refuge, or hidden from someone who
    /// may harm the person): the address is then decided as address.confidential, in every version.
    /// </summary>
    public bool AddressConfidential { get; set; }

    /// <summary>Blind indexes over the normalised family name and birth date, for demographic matching.</summary>
    public byte[]? FamilyNameIndex { get; set; }
    public byte[]? BirthDateIndex { get; set; }
    public byte[]? PostcodeIndex { get; set; }

    /// <summary>
    /// The keyed encodings probabilistic linkage compares (People/LinkageEncoder): phonetic codes and Bloom filters of the
    /// names, the given name's formal form, the birth date with day and month swapped, its year and month, the postcode
    /// sector. Made at write time from the plaintext, never from anything stored; cleared when the person is erased.
    /// </summary>
    public byte[]? FamilyPhoneticIndex { get; set; }
    public byte[]? FamilyBloom { get; set; }
    public byte[]? GivenNameIndex { get; set; }
    public byte[]? GivenPhoneticIndex { get; set; }
    public byte[]? GivenBloom { get; set; }
    public byte[]? BirthDateSwappedIndex { get; set; }
    public byte[]? BirthYearMonthIndex { get; set; }
    public byte[]? PostcodeSectorIndex { get; set; }

    /// <summary>
    /// The keyed postcode indexes of the person's previous addresses, most recent first (32 bytes each, at most three): those
    /// the writer gave as old addresses, and the postcode an update of the address replaced. Kept only for linkage to
    /// compare; the previous addresses themselves are not stored.
    /// </summary>
    public byte[]? PreviousPostcodeIndexes { get; set; }

    /// <summary>
    /// The family name's keyed one-letter variants (8 bytes each: the name and each form with one letter left out), so that
    /// two names a letter apart are found alike without either being stored. Kept only for linkage to compare.
    /// </summary>
    public byte[]? FamilyVariantIndexes { get; set; }

    public List<PersonIdentifier> Identifiers { get; set; } = [];
}

public sealed class PersonIdentifier
{
    public Guid Id { get; set; }
    public Guid PersonId { get; set; }
    public IdentifierKind Kind { get; set; }
    public EncryptedValue Value { get; set; } = null!;

    /// <summary>Keyed hash of the normalised identifier; lookups by identifier go through this, never plaintext.</summary>
    public byte[] ValueIndex { get; set; } = [];
}

/// <summary>A household: the group of people around a child, as one agency knows it.</summary>
public sealed class Household : Record
{
    /// <summary>A reference that carries no personal data (for example "HH-000123").</summary>
    public string Reference { get; set; } = "";
    public EncryptedValue? Address { get; set; }
    public byte[]? PostcodeIndex { get; set; }
    public List<HouseholdMember> Members { get; set; } = [];
}

public sealed class HouseholdMember
{
    public Guid HouseholdId { get; set; }
    public Guid PersonId { get; set; }

    /// <summary>child, parent, carer, sibling, partner, relative, lodger.</summary>
    public string Role { get; set; } = "";
}

public enum RelationshipKind
{
    ParentOf,
    StepParentOf,
    CarerOf,
    SiblingOf,
    PartnerOf,
    GrandparentOf,
    RelativeOf,
}

public sealed class Relationship : Record
{
    public Guid PersonId { get; set; }
    public Guid RelatedPersonId { get; set; }
    public RelationshipKind Kind { get; set; }
    public bool HasParentalResponsibility { get; set; }

    /// <summary>The writing organisation's own reference for the record (its case system's id): one record per reference, so a retried create finds it.</summary>
    public string? SourceReference { get; set; }
}
