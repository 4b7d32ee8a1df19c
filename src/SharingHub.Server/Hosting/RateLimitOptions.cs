namespace SharingHub.Server.Hosting;

/// <summary>How many requests a caller may make a minute before the hub answers 429 (0: no limit).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "SharingHub:RateLimits";

    /// <summary>A person (practitioner or IG officer): far above what anyone reads by hand, far below a scrape.</summary>
    public int PersonRequestsPerMinute { get; set; } = 600;

    /// <summary>A partner system (client credentials): case-system synchronisation, bounded.</summary>
    public int SystemRequestsPerMinute { get; set; } = 6_000;

    /// <summary>A caller with no valid token, per client address (forged or expired tokens, discovery, sign-in pages).</summary>
    public int AnonymousRequestsPerMinute { get; set; } = 300;

    /// <summary>How long a refusal (429) is held before it is sent, so a flooding client slows itself down; 0 sends at once.</summary>
    public int RejectionDelayMilliseconds { get; set; } = 500;
}
