using SharingHub.Core.Records;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Writing;

/// <summary>
/// Who a write belongs to: the writer's organisation (its own data controller: a school, a trust, a practice) inside
/// its sector. A new record is stamped with both; only the same organisation changes it or names it in its own records.
/// </summary>
internal readonly record struct RecordOwner(string Agency, string Organisation)
{
    public static RecordOwner Of(HubPrincipal writer) => new(writer.Agency, writer.Organisation);

    /// <summary>Stamps a new record as this owner's.</summary>
    public T Owns<T>(T record)
        where T : Record
    {
        record.OwningAgency = Agency;
        record.OwningOrganisation = Organisation;
        return record;
    }
}
