namespace SharingHub.Core.Records;

/// <summary>
/// What every shared record carries: who owns it, how sensitive it is, when it changed, and a
/// version that guards against lost updates (the ETag).
/// </summary>
public abstract class Record
{
    public Guid Id { get; set; }
    public string OwningAgency { get; set; } = "";

    /// <summary>
    /// The data controller inside the owning agency's sector that holds the record (a school, a trust, a GP practice);
    /// only it may change the record, and it is "own" to nobody else. Unset, it is the sector's default organisation,
    /// whose code is the sector's (policies/organisations.yaml).
    /// </summary>
    public string OwningOrganisation
    {
        get => _owningOrganisation ?? OwningAgency;
        set => _owningOrganisation = value;
    }

    private string? _owningOrganisation;
    public string DataClass { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Starts at 1 and goes up by one on every update; a write with a stale version is refused.</summary>
    public long Version { get; set; }

    public string ETag => $"W/\"{Version}\"";
}
