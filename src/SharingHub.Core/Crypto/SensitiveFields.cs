using SharingHub.Core.Records;

namespace SharingHub.Core.Crypto;

/// <summary>
/// The one place that says where each encrypted field lives: its record id and field name (bound into
/// the ciphertext) and the agency and data class that choose its data key. Writers, readers and the
/// re-encryption job all ask here, so a field is always opened with the context it was sealed with.
/// </summary>
public static class SensitiveFields
{
    public const string IdentifierField = "Identifier.Value";
    public const string ReferrerIdentityClass = "referral.referrer-identity";

    public static FieldContext For(Record record, string field) => new(
        record.Id,
        field,
        record.OwningAgency,
        record is Referral && field == nameof(Referral.ReferrerIdentity) ? ReferrerIdentityClass : record.DataClass,
        record is Person ? record.Id : null);

    /// <summary>An agency identifier is sealed under its own id, with its person's owner, data class and subject key.</summary>
    public static FieldContext ForIdentifier(PersonIdentifier identifier, string owningAgency, string personDataClass) =>
        new(identifier.Id, IdentifierField, owningAgency, personDataClass, identifier.PersonId == Guid.Empty ? null : identifier.PersonId);
}
