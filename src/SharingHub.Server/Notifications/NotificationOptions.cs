namespace SharingHub.Server.Notifications;

public sealed class NotificationOptions
{
    public const string Section = "SharingHub:Notifications";
    public double PollSeconds { get; set; } = 5;
    public int MaxAttempts { get; set; } = 8;
    public double FirstRetrySeconds { get; set; } = 10;
    public Dictionary<string, NotificationEndpoint> Endpoints { get; set; } = new(StringComparer.Ordinal);
}
