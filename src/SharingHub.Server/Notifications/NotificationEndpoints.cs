using SharingHub.Data.Notifications;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Notifications;

/// <summary>
/// An agency's own notifications, for its system or IG officer: what is pending, delivered, or dead
/// (given up after the retries), with the last error; ids and codes only, as sent.
/// </summary>
internal static class NotificationEndpoints
{
    private static readonly HashSet<string> Readers = ["system", "ig-officer"];

    public static WebApplication MapNotifications(this WebApplication app)
    {
        app.MapGet("/notifications", async (HttpContext http, NotificationOutbox outbox, bool? dead, CancellationToken ct) =>
        {
            var me = http.HubPrincipal();
            if (!me.Roles.Overlaps(Readers))
            {
                return Results.Problem(statusCode: 403, detail: "an agency's notifications are read by its case system or its IG officer");
            }
            var rows = await outbox.ForAgencyAsync(me.Agency, dead == true, ct);
            return Results.Json(new
            {
                agency = me.Agency,
                notifications = rows.Select(n => new
                {
                    id = n.Id, kind = n.Kind, createdAt = n.CreatedAt, dueAt = n.DueAt, attempts = n.Attempts,
                    state = n.DeliveredAt is not null ? "delivered" : n.DeadAt is not null ? "dead" : "pending",
                    deliveredAt = n.DeliveredAt, deadAt = n.DeadAt, lastError = n.LastError,
                }),
            });
        }).RequireAuthorization().Audited("notifications.list");
        return app;
    }
}
