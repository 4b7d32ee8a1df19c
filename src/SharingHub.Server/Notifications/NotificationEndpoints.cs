using SharingHub.Data.Notifications;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Notifications;

/// <summary>
/// An organisation's own notifications, for its system or IG officer: what is pending, delivered, or dead
/// (given up after the retries), with the last error; ids and codes only, as sent.
/// </summary>
internal static class NotificationEndpoints
{
    public static WebApplication MapNotifications(this WebApplication app)
    {
        app.MapGet("/notifications", async (HttpContext http, NotificationOutbox outbox, bool? dead, CancellationToken ct) =>
        {
            var me = http.HubPrincipal();
            var rows = await outbox.ForOrganisationAsync(me.Organisation, dead == true, ct);
            return Results.Json(new NotificationsView(me.Organisation, rows.Select(n => new NotificationView(n.Id, n.Kind, n.CreatedAt, n.DueAt, n.Attempts,
                n.DeliveredAt is not null ? "delivered" : n.DeadAt is not null ? "dead" : "pending", n.DeliveredAt, n.DeadAt, n.LastError)).ToList()));
        }).RequireAuthorization().Audited("notifications.list").Takes(Access.HubActions.NotificationsRead).WithTags("Notifications")
            .Answers<NotificationsView>(200, "Your organisation's notifications (its case system or IG officer): pending, delivered or dead (dead=true)", 403);
        return app;
    }
}

internal sealed record NotificationView(Guid Id, string Kind, DateTimeOffset CreatedAt, DateTimeOffset DueAt, int Attempts, string State,
    DateTimeOffset? DeliveredAt, DateTimeOffset? DeadAt, string? LastError);

internal sealed record NotificationsView(string Organisation, IReadOnlyList<NotificationView> Notifications);
