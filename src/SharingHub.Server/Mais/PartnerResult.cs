namespace SharingHub.Server.Mais;

/// <summary>How one partner's part of a brokered query ended, for the caller and the audit entry.</summary>
internal sealed record PartnerResult(string Partner, string Agency, string State, long ElapsedMs, int Attempts, PersonAnswer? Answer, string? Detail)
{
    public const string Answered = "answered";
    public const string Timeout = "timeout";
    public const string Error = "error";
    public const string Invalid = "invalid";
    public const string AuthRefused = "auth-refused";
    public const string Refused = "refused";
    public const string CircuitOpen = "circuit-open";
    public const string Busy = "busy";
}
