using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Notifications;

/// <summary>Puts notifications in the durable outbox; the dispatcher delivers them, at least once, surviving restarts.</summary>
public sealed class NotificationOutbox(IHubDbContextFactory contexts, TimeProvider clock)
{
    public async Task EnqueueAsync(string organisation, string kind, object payload, TimeSpan delay, CancellationToken cancellationToken) =>
        await EnqueueAllAsync([new OutboxNotice(organisation, kind, payload, delay)], cancellationToken);

    /// <summary>Queues several notifications in one transaction (all or none) and returns their ids, to withdraw them if what they tell of is undone.</summary>
    public async Task<IReadOnlyList<Guid>> EnqueueAllAsync(IReadOnlyCollection<OutboxNotice> notices, CancellationToken cancellationToken)
    {
        if (notices.Count == 0)
        {
            return [];
        }
        var now = clock.UtcNowForStorage();
        await using var db = contexts.Create();
        var rows = notices.Select(n => new Notification
        {
            Id = Guid.NewGuid(), Organisation = n.Organisation, Kind = n.Kind, Payload = JsonSerializer.Serialize(n.Payload, n.Payload.GetType()), CreatedAt = now,
            DueAt = now + n.Delay, NextAttemptAt = now + n.Delay,
        }).ToList();
        db.Notifications.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        return rows.Select(r => r.Id).ToList();
    }

    /// <summary>Withdraws queued notifications not yet delivered (what they told of did not happen); returns how many were withdrawn.</summary>
    public async Task<int> WithdrawAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return 0;
        }
        await using var db = contexts.Create();
        return await db.Notifications.Where(n => ids.Contains(n.Id) && n.DeliveredAt == null).ExecuteDeleteAsync(cancellationToken);
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

/// <summary>One notification to queue: to whom, of what kind, what it says, and how long after now it is due.</summary>
public sealed record OutboxNotice(string Organisation, string Kind, object Payload, TimeSpan Delay);
