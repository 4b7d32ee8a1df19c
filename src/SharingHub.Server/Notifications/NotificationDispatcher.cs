using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharingHub.Core.Time;
using SharingHub.Data;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Notifications;

public sealed class NotificationEndpoint
{
    public string Url { get; set; } = "";

    /// <summary>The shared secret for the HMAC signature; from the environment or a secret store, never the repository.</summary>
    public string Secret { get; set; } = "";
}

/// <summary>
/// Delivers the outbox: signed webhooks (HMAC-SHA256 over "timestamp.body"), retried with exponential
/// backoff, given up after MaxAttempts as a dead letter. State lives in the database, so nothing is lost
/// when the hub restarts; delivery is at least once, and receivers drop repeats by notification id.
/// </summary>
internal sealed class NotificationDispatcher(
    IHubDbContextFactory contexts, IHttpClientFactory clients, IOptions<NotificationOptions> options, TimeProvider clock, OverdueEscalation escalation,
    SqliteWriteTurns turns, ILogger<NotificationDispatcher> logger)
    : QuietlyStoppedService
{
    public const string HttpClientName = "notifications";
    public const string SignatureHeader = "X-SharingHub-Signature";
    public const string TimestampHeader = "X-SharingHub-Timestamp";
    public const string IdHeader = "X-SharingHub-Notification-Id";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Max(0.05, options.Value.PollSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await escalation.EscalateAsync(stoppingToken);
                await DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store may be down for a while; the outbox keeps everything until it is back.
                logger.LogError("Notification delivery round failed: {Error}", e.GetType().Name);
            }
            await Task.Delay(period, clock, stoppingToken);
        }
    }

    /// <summary>How long a receiver has to answer before the send counts as timed out.</summary>
    internal static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a node holds a notification it is sending: twice the receiver's timeout, so a live sender always records its
    /// outcome first; if the node dies mid-send, another node (or the restarted one) sends it once this has passed. (Two
    /// minutes was too long: a node killed mid-send left its notice undelivered past the crash test's 30 s after restart.)
    /// </summary>
    private static readonly TimeSpan ClaimLease = 2 * SendTimeout;

    /// <summary>
    /// Sends what is due. Each notification is first claimed with one conditional update (its next attempt moved past the
    /// lease, only if nobody moved it since it was read), so when several hub nodes deliver at once each is sent by one
    /// of them; a node killed mid-send leaves it to be sent again when the lease ends (at least once).
    /// </summary>
    internal async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        // Only organisations with an endpoint are sent to. Another's notices wait in the outbox, untouched, for its system or IG
        // officer to list (GET /notifications), and are sent once an endpoint is configured: trying them would fail for certain
        // and write twice a try, each write a turn at SQLite's one write lock that every request's audit entry waits behind (a hub
        // started on the demo's 1M events, with no endpoints, queued 16,416 notices and tried 750 in its first 90 s, toward 8
        // tries each over 42 minutes, every one ending as a dead letter).
        var reachable = options.Value.Endpoints.Where(e => e.Value.Url.Length > 0).Select(e => e.Key).ToList();
        if (reachable.Count == 0)
        {
            return 0;
        }
        var now = clock.UtcNowForStorage();
        await using var db = contexts.Create();
        var due = await db.Notifications.AsNoTracking().Where(n => n.DeliveredAt == null && n.DeadAt == null && n.NextAttemptAt <= now && reachable.Contains(n.Organisation))
            .OrderBy(n => n.NextAttemptAt).Take(50).Select(n => new { n.Id, n.NextAttemptAt }).ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var candidate in due)
        {
            var leaseEnds = clock.UtcNowForStorage() + ClaimLease;
            int claimed;
            // Each write waits its turn with the audit writer (SqliteWriteTurns); the send itself holds no turn.
            using (await turns.TakeAsync(cancellationToken))
            {
                claimed = await db.Notifications
                    .Where(n => n.Id == candidate.Id && n.NextAttemptAt == candidate.NextAttemptAt && n.DeliveredAt == null && n.DeadAt == null)
                    .ExecuteUpdateAsync(set => set.SetProperty(n => n.NextAttemptAt, leaseEnds), cancellationToken);
            }
            if (claimed == 0)
            {
                continue; // another node has it
            }
            var notification = await db.Notifications.SingleAsync(n => n.Id == candidate.Id, cancellationToken);
            var error = await SendAsync(notification, cancellationToken);
            notification.Attempts++;
            sent++;
            if (error is null)
            {
                notification.DeliveredAt = clock.UtcNowForStorage();
                notification.LastError = null;
                logger.LogInformation("Notification {NotificationId} ({Kind}) delivered to {Organisation}", notification.Id, notification.Kind, notification.Organisation);
            }
            else
            {
                notification.LastError = error;
                if (notification.Attempts >= options.Value.MaxAttempts)
                {
                    notification.DeadAt = clock.UtcNowForStorage();
                    logger.LogWarning("Notification {NotificationId} ({Kind}) to {Organisation} is a dead letter after {Attempts} attempts: {Error}",
                        notification.Id, notification.Kind, notification.Organisation, notification.Attempts, error);
                }
                else
                {
                    var backoff = options.Value.FirstRetrySeconds * Math.Pow(2, notification.Attempts - 1);
                    notification.NextAttemptAt = clock.UtcNowForStorage() + TimeSpan.FromSeconds(Math.Min(backoff, 3_600));
                }
            }
            // Recorded one at a time: a crash after this leaves no sent notification looking unsent.
            using (await turns.TakeAsync(cancellationToken))
            {
                await db.SaveChangesAsync(cancellationToken);
            }
        }
        return sent;
    }

    private async Task<string?> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (!options.Value.Endpoints.TryGetValue(notification.Organisation, out var endpoint) || endpoint.Url.Length == 0)
        {
            return $"no notification endpoint is configured for {notification.Organisation}";
        }
        var body = JsonSerializer.Serialize(new
        {
            id = notification.Id,
            kind = notification.Kind,
            organisation = notification.Organisation,
            createdAt = notification.CreatedAt,
            data = JsonDocument.Parse(notification.Payload).RootElement,
        });
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(IdHeader, notification.Id.ToString());
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, Sign(endpoint.Secret, timestamp, body));
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return e is TaskCanceledException ? "timed out" : "connection failed";
        }
    }

    /// <summary>"sha256=" and the hex HMAC-SHA256 of "timestamp.body" under the agency's shared secret.</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
}

internal static class NotificationServiceCollectionExtensions
{
    public static IServiceCollection AddSharingHubNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>()
            .BindConfiguration(NotificationOptions.Section)
            .Validate(o => o.PollSeconds > 0 && o.MaxAttempts is > 0 and <= 50 && o.FirstRetrySeconds >= 0, $"{NotificationOptions.Section}: PollSeconds and FirstRetrySeconds must be positive, MaxAttempts 1 to 50")
            .Validate(o => o.Endpoints.Values.All(e => Uri.TryCreate(e.Url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp)),
                $"{NotificationOptions.Section}:Endpoints: each Url must be an absolute http(s) URL")
            .Validate(o => o.Endpoints.Values.All(e => e.Secret.Length >= 32 && !e.Secret.Any(char.IsWhiteSpace)),
                $"{NotificationOptions.Section}:Endpoints: each Secret must be a random value of at least 32 characters without spaces (a placeholder is not a secret)")
            .ValidateOnStart();
        services.AddHttpClient(NotificationDispatcher.HttpClientName, c => c.Timeout = NotificationDispatcher.SendTimeout);
        services.AddSingleton<NotificationOutbox>();
        services.AddSingleton<OverdueEscalation>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        return services;
    }
}
