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
internal sealed class OverdueEscalation(IHubDbContextFactory contexts, TimeProvider clock, Policies.Decisions.PolicyDecisionPoint policy, SqliteWriteTurns turns,
    ILogger<OverdueEscalation> logger)
{
    public async Task<int> EscalateAsync(CancellationToken cancellationToken)
    {
        var now = clock.UtcNowForStorage();
        await using var db = contexts.Create();
        var overdue = await db.InformationRequests.AsNoTracking().Where(r => r.Status == InformationRequestStatus.Open && r.EscalatedAt == null && r.DueAt < now)
            .OrderBy(r => r.DueAt).Take(100).ToListAsync(cancellationToken);
        var escalated = 0;
        foreach (var request in overdue)
        {
            var payload = JsonSerializer.Serialize(new { task = $"Task/{request.Id}", enquiry = request.EnquiryId, agency = request.RequestedAgency, dueAt = request.DueAt });
            // The enquiry's organisation, and the agency asked (its default organisation, where requests to it arrive).
            var asked = policy.Policy.DefaultOrganisation(request.RequestedAgency).Code;
            var notices = new[] { request.OwningOrganisation, asked }.Distinct(StringComparer.Ordinal).Select(organisation => new Notification
            {
                Id = Guid.NewGuid(), Organisation = organisation, Kind = "information-request.overdue", Payload = payload, CreatedAt = now, DueAt = now, NextAttemptAt = now,
            }).ToList();
            // Claimed by a conditional update, in the transaction that adds the notices: another round (this node's
            // dispatcher, another node) that read the same request claims nothing and adds nothing.
            if (await ClaimAsync(db, () => db.InformationRequests.Where(r => r.Id == request.Id && r.EscalatedAt == null && r.Status == InformationRequestStatus.Open)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.EscalatedAt, now), cancellationToken), notices, cancellationToken))
            {
                escalated++;
            }
        }
        if (escalated > 0)
        {
            logger.LogInformation("Escalated {Count} overdue information requests", escalated);
        }
        return escalated + await EscalateJourneyAsync(now, cancellationToken);
    }

    /// <summary>
    /// A child protection case whose initial conference, first core group or review conference is overdue is escalated once per
    /// item: the council that leads it and each member agency's system are told which item, and since when. Every overdue case
    /// is looked at, a page at a time: an escalated case stays overdue until its item is done, so a round that read only the
    /// first hundred never reached the hundred-and-first once the first hundred were escalated and still waiting. A page with
    /// nothing new to escalate writes nothing (no transaction: on SQLite an empty one still took the write lock every round).
    /// </summary>
    private async Task<int> EscalateJourneyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var escalated = 0;
        for (var page = 0; ; page++)
        {
            await using var db = contexts.Create();
            var cases = await db.Enquiries.AsNoTracking().Where(OverdueCases.Open(now))
                .OrderBy(e => e.OpenedAt).ThenBy(e => e.Id).Skip(page * JourneyPage).Take(JourneyPage).ToListAsync(cancellationToken);
            var fresh = cases.Select(e => (Enquiry: e, Items: Fresh(e, now))).Where(c => c.Items.Fresh.Count > 0).ToList();
            if (fresh.Count > 0)
            {
                escalated += await EscalateCasesAsync(db, now, fresh, cancellationToken);
            }
            if (cases.Count < JourneyPage)
            {
                break;
            }
        }
        if (escalated > 0)
        {
            logger.LogInformation("Escalated {Count} overdue child protection journey items", escalated);
        }
        return escalated;
    }

    /// <summary>Overdue cases read per page.</summary>
    internal const int JourneyPage = 100;

    /// <summary>A case's overdue items not yet escalated, and the list of escalated items it would keep (only those still due).</summary>
    private static (List<Workflow.DueItem> Fresh, string After) Fresh(Enquiry enquiry, DateTimeOffset now)
    {
        var done = (enquiry.OverdueEscalated ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var due = Workflow.CaseOversightEndpoints.Due(enquiry, now).Select(d => (Item: d, Key: $"{d.Item}@{d.DueBy:O}")).ToList();
        var fresh = due.Where(d => d.Item.Overdue && !done.Contains(d.Key)).ToList();
        done.UnionWith(fresh.Select(f => f.Key));
        // Only the items still due are remembered: the list stays as short as the case's deadlines.
        return (fresh.Select(f => f.Item).ToList(), string.Join(';', done.Where(k => due.Any(d => d.Key == k)).Order(StringComparer.Ordinal)));
    }

    private async Task<int> EscalateCasesAsync(HubDbContext db, DateTimeOffset now, List<(Enquiry Enquiry, (List<Workflow.DueItem> Fresh, string After) Items)> cases,
        CancellationToken cancellationToken)
    {
        var escalated = 0;
        foreach (var (enquiry, (fresh, after)) in cases)
        {
            var before = enquiry.OverdueEscalated;
            var organisations = enquiry.Members.Where(m => m.RemovedAt is null).Select(m => policy.Policy.DefaultOrganisation(m.Agency).Code)
                .Prepend(enquiry.OwningOrganisation).Distinct(StringComparer.Ordinal).ToList();
            var notices = fresh.SelectMany(item =>
            {
                var payload = JsonSerializer.Serialize(new { enquiry = enquiry.Id, reference = enquiry.Reference, item = item.Item, dueBy = item.DueBy });
                return organisations.Select(organisation => new Notification
                {
                    Id = Guid.NewGuid(), Organisation = organisation, Kind = "case.overdue", Payload = payload, CreatedAt = now, DueAt = now, NextAttemptAt = now,
                });
            }).ToList();
            // Claimed by a conditional update in the transaction that adds the notices, so two rounds (this node's dispatcher
            // and an explicit call, or two nodes) that read the same case escalate it once: the second claims nothing.
            if (await ClaimAsync(db, () => db.Enquiries.Where(e => e.Id == enquiry.Id && e.OverdueEscalated == before)
                    .ExecuteUpdateAsync(u => u.SetProperty(e => e.OverdueEscalated, after), cancellationToken), notices, cancellationToken))
            {
                escalated += fresh.Count;
            }
        }
        return escalated;
    }

    /// <summary>
    /// One item escalated in a transaction of its own: its claim (a conditional update, which finds nothing when another round
    /// claimed the item first) and its notices commit together, or nothing does. One item a transaction, not a page of them: on
    /// SQLite a transaction holds the database's one write lock, and every request's audit entry waits for it. A page of a
    /// hundred cases held it for 40-160 ms, and a hub restarted on a backlog (3,404 overdue items at 1M events) for about 4.5 s
    /// in all, with each request's audit entry queued behind it; one case holds it for a few milliseconds. Each item also waits
    /// its turn with the audit writer (<see cref="SqliteWriteTurns"/>), so an audit batch waits for at most one of them.
    /// </summary>
    private async Task<bool> ClaimAsync(HubDbContext db, Func<Task<int>> claim, IReadOnlyList<Notification> notices, CancellationToken cancellationToken)
    {
        using var turn = await turns.TakeAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await claim() != 1)
        {
            return false;
        }
        db.Notifications.AddRange(notices);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return true;
    }
}
