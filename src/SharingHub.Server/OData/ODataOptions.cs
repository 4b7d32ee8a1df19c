namespace SharingHub.Server.OData;

/// <summary>Limits on what one OData query may cost; exceeding one is a 400 with the OData error JSON.</summary>
public sealed class ODataOptions
{
    public const string Section = "SharingHub:OData";

    /// <summary>The most entities in one page; @odata.nextLink leads to the rest.</summary>
    public int MaxPageSize { get; set; } = 100;

    public int MaxTop { get; set; } = 1_000;

    /// <summary>The most rows one query may decide on (after the database's filter); a broader query is refused, never half-answered.</summary>
    public int MaxCandidates { get; set; } = 2_000;

    /// <summary>The most terms in a $filter and $orderby together.</summary>
    public int MaxNodes { get; set; } = 100;

    public int TimeoutSeconds { get; set; } = 5;
}
