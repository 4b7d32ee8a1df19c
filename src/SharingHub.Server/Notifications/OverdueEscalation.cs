using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Notifications;

/// <summary>
/// Overdue information requests escalate once: the council (whose enquiry asked) and the asked agency
/// are both notified, in the same transaction that marks the request escalated, so neither is missed
/// nor repeated.
/// </summary>
internal sealed class OverdueEscalation(IHubDbContextFactory contexts, TimeProvider clock, Policies.Decisions.PolicyDecisionPoint policy, ILogger<OverdueEscalation> logger)
{
    public async Task<int> EscalateAsync(CancellationToken cancellationToken)
    {
        var now = clock.UtcNowForStorage();
        await using var db = contexts.Create();
        var overdue = await db.InformationRequests.Where(r => r.Status == InformationRequestStatus.Open && r.EscalatedAt == null && r.DueAt < now)
            .OrderBy(r => r.DueAt).Take(100).ToListAsync(cancellationToken);
        foreach (var request in overdue)
        {
            request.EscalatedAt = now;
            var payload = JsonSerializer.Serialize(new { task = $"Task/{request.Id}", enquiry = request.EnquiryId, agency = request.RequestedAgency, dueAt = request.DueAt });
            // The enquiry's organisation, and the agency asked (its default organisation, where requests to it arrive).
            var asked = policy.Policy.DefaultOrganisation(request.RequestedAgency).Code;
            foreach (var organisation in new[] { request.OwningOrganisation, asked }.Distinct(StringComparer.Ordinal))
            {
                db.Notifications.Add(new Notification
                {
                    Id = Guid.NewGuid(), Organisation = organisation, Kind = "information-request.overdue", Payload = payload, CreatedAt = now, DueAt = now, NextAttemptAt = now,
                });
            }
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Answered or changed meanwhile: the next round looks again.
            return 0;
        }
        if (overdue.Count > 0)
        {
            logger.LogInformation("Escalated {Count} overdue information requests", overdue.Count);
        }
        return overdue.Count;
    }
}
