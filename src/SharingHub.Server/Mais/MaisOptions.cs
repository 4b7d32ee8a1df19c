namespace SharingHub.Server.Mais;

/// <summary>Brokered sharing: the deadline of a fanned-out query, its retries and circuit breaker, and the contact each agency gives.</summary>
public sealed class MaisOptions
{
    public const string Section = "SharingHub:Mais";

    /// <summary>The whole brokered query answers within this, whatever the partners do.</summary>
    public int DeadlineMs { get; set; } = 5_000;

    public int Retries { get; set; } = 2;
    public int RetryDelayMs { get; set; } = 100;

    /// <summary>Calls seen (at least half failing) before a partner's circuit opens.</summary>
    public int BreakAfterFailures { get; set; } = 4;

    public int BreakSeconds { get; set; } = 30;

    /// <summary>Per agency code: the contact named in answers (defaults to the agency's name in policies/agencies.yaml).</summary>
    public Dictionary<string, MaisContact> Contacts { get; set; } = [];
}

public sealed class MaisContact
{
    public string? Name { get; set; }
    public string? Phone { get; set; }
    public string? Email { get; set; }
}
