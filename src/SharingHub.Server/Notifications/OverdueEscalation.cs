using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Notifications;

/// <summary>
/// Overdue information requests escalate once: the council (whose enquiry asked) and the asked agency
/// are both notified, in the same transaction that claims the request (a conditional update), so neither is missed
/// nor repeated, however many rounds run at once (the dispatcher's, an explicit call, another node's).
/// </summary>
internal sealed class OverdueEscalation(IHubDbContextFactory contexts, TimeProvider clock, Policies.Decisions.PolicyDecisionPoint policy, ILogger<OverdueEscalation> logger)
{
    public async Task<int> EscalateAsync(CancellationToken cancellationToken)
    {
        var now = clock.UtcNowForStorage();
        await using var db = contexts.Create();
        var overdue = await db.InformationRequests.AsNoTracking().Where(r => r.Status == InformationRequestStatus.Open && r.EscalatedAt == null && r.DueAt < now)
            .OrderBy(r => r.DueAt).Take(100).ToListAsync(cancellationToken);
        var escalated = 0;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            foreach (var request in overdue)
            {
                // Claimed by a conditional update, in the transaction that adds the notices: another round (this node's
                // dispatcher, another node) that read the same request claims nothing and adds nothing.
                if (await db.InformationRequests.Where(r => r.Id == request.Id && r.EscalatedAt == null && r.Status == InformationRequestStatus.Open)
                        .ExecuteUpdateAsync(u => u.SetProperty(r => r.EscalatedAt, now), cancellationToken) != 1)
                {
                    continue;
                }
                escalated++;
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
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        if (escalated > 0)
        {
            logger.LogInformation("Escalated {Count} overdue information requests", escalated);
        }
        return escalated + await EscalateJourneyAsync(now, cancellationToken);
    }

    /// <summary>
    /// A child protection case whose initial conference, first core group or review conference is overdue is escalated once per
    /// item: the council that leads it and each member agency's system are told which item, and since when.
    /// </summary>
    private async Task<int> EscalateJourneyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = contexts.Create();
        var cases = await db.Enquiries.AsNoTracking().Where(e => e.Status == EnquiryStatus.Open
                && ((e.ConferenceDueBy != null && e.ConferenceDueBy < now) || (e.CoreGroupDueBy != null && e.CoreGroupDueBy < now) || (e.ReviewDueBy != null && e.ReviewDueBy < now)))
            .OrderBy(e => e.OpenedAt).Take(100).ToListAsync(cancellationToken);
        var escalated = 0;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var enquiry in cases)
        {
            var before = enquiry.OverdueEscalated;
            var done = (before ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            var due = Workflow.CaseOversightEndpoints.Due(enquiry, now).Select(d => (Item: d, Key: $"{d.Item}@{d.DueBy:O}")).ToList();
            var fresh = due.Where(d => d.Item.Overdue && !done.Contains(d.Key)).ToList();
            if (fresh.Count == 0)
            {
                continue;
            }
            done.UnionWith(fresh.Select(f => f.Key));
            // Only the items still due are remembered: the list stays as short as the case's deadlines.
            var after = string.Join(';', done.Where(k => due.Any(d => d.Key == k)).Order(StringComparer.Ordinal));
            // Claimed by a conditional update in the transaction that adds the notices, so two rounds (this node's dispatcher
            // and an explicit call, or two nodes) that read the same case escalate it once: the second claims nothing.
            if (await db.Enquiries.Where(e => e.Id == enquiry.Id && e.OverdueEscalated == before)
                    .ExecuteUpdateAsync(u => u.SetProperty(e => e.OverdueEscalated, after), cancellationToken) != 1)
            {
                continue;
            }
            var organisations = enquiry.Members.Where(m => m.RemovedAt is null).Select(m => policy.Policy.DefaultOrganisation(m.Agency).Code)
                .Prepend(enquiry.OwningOrganisation).Distinct(StringComparer.Ordinal).ToList();
            foreach (var (item, _) in fresh)
            {
                var payload = JsonSerializer.Serialize(new { enquiry = enquiry.Id, reference = enquiry.Reference, item = item.Item, dueBy = item.DueBy });
                foreach (var organisation in organisations)
                {
                    db.Notifications.Add(new Notification
                    {
                        Id = Guid.NewGuid(), Organisation = organisation, Kind = "case.overdue", Payload = payload, CreatedAt = now, DueAt = now, NextAttemptAt = now,
                    });
                }
                escalated++;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (escalated > 0)
        {
            logger.LogInformation("Escalated {Count} overdue child protection journey items", escalated);
        }
        return escalated;
    }
}
