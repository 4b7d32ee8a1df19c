using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Notifications;

/// <summary>Puts notifications in the durable outbox; the dispatcher delivers them, at least once, surviving restarts.</summary>
public sealed class NotificationOutbox(IHubDbContextFactory contexts, TimeProvider clock)
{
    public async Task EnqueueAsync(string organisation, string kind, object payload, TimeSpan delay, CancellationToken cancellationToken)
    {
        var now = clock.UtcNowForStorage();
        await using var db = contexts.Create();
        db.Notifications.Add(new Notification
        {
            Id = Guid.NewGuid(), Organisation = organisation, Kind = kind, Payload = JsonSerializer.Serialize(payload, payload.GetType()), CreatedAt = now,
            DueAt = now + delay, NextAttemptAt = now + delay,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<List<Notification>> ForOrganisationAsync(string organisation, bool deadOnly, CancellationToken cancellationToken)
    {
        await using var db = contexts.Create();
        var query = db.Notifications.AsNoTracking().Where(n => n.Organisation == organisation);
        if (deadOnly)
        {
            query = query.Where(n => n.DeadAt != null);
        }
        return await query.OrderByDescending(n => n.CreatedAt).Take(500).ToListAsync(cancellationToken);
    }
}
