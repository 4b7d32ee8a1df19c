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

/// <summary>
/// In Production every agency's contact must be usable: the person-info-query's answer tells the asker whom to ring or write
/// to, and a contact with neither a phone nor an email tells them nothing. The hub does not start until each has one.
/// </summary>
internal sealed class MaisContactsValidation(IHostEnvironment environment, Policies.Decisions.PolicyDecisionPoint policy) : Microsoft.Extensions.Options.IValidateOptions<MaisOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, MaisOptions options)
    {
        if (!environment.IsProduction())
        {
            return Microsoft.Extensions.Options.ValidateOptionsResult.Success;
        }
        var missing = policy.Policy.Agencies.Keys.Order(StringComparer.Ordinal)
            .Where(agency => options.Contacts.GetValueOrDefault(agency) is not { } contact || (string.IsNullOrWhiteSpace(contact.Phone) && string.IsNullOrWhiteSpace(contact.Email)))
            .ToList();
        return missing.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                $"{MaisOptions.Section}:Contacts: in Production each agency's contact needs a phone or an email, for the answers that name it; none for {string.Join(", ", missing)} " +
                $"(set {MaisOptions.Section}:Contacts:<agency>:Phone or :Email)");
    }
}
