using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharingHub.Core.Records;
using SharingHub.Data.Linkage;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Mais;

namespace SharingHub.Server.Writing;

/// <summary>Which events alert, about children in which states (configuration, <c>SharingHub:Alerts</c>).</summary>
public sealed class AlertOptions
{
    public const string Section = "SharingHub:Alerts";

    /// <summary>Event categories that alert: an A&amp;E attendance, a missing episode, police protection, a domestic abuse incident.</summary>
    public string[] Categories { get; set; } = ["ae-attendance", "missing-episode", "police-protection", "domestic-abuse-incident"];

    /// <summary>The states of a child that make those events urgent: a child protection plan, being looked after.</summary>
    public string[] States { get; set; } = ["child-protection-plan", "looked-after"];
}

/// <summary>What the recording agency is told, and what the council hears: the child's state, since when, and whom to contact.</summary>
internal sealed record ChildAlert(Guid Event, Guid Child, string State, DateTimeOffset Since, ContactSummary Contact, string? Lead)
{
    public string Words => $"The child is {(State == "looked-after" ? "looked after" : "subject to a child protection plan")} (since {Since:d MMMM yyyy}); "
        + $"contact {Contact.Name}{(Contact.Phone is { } phone ? $", {phone}" : "")}{(Contact.Email is { } email ? $", {email}" : "")}"
        + (Lead is null ? "" : $"; lead practitioner {Lead}") + ". The council has been told of this record.";
}

/// <summary>
/// An alert when it matters, as CP-IS does for unscheduled care: when any agency records an event of an alerting category
/// about a child who is on a child protection plan or looked after (a state on any agency's linked record of the child), the
/// council's front door system is notified at once (webhook <c>child.alert</c>: which child, which state, which event and who
/// recorded it, never the event's text), naming the child's lead practitioner where the plan has one, and the recording
/// agency's answer says that the child has a plan and whom to contact. Each alert is in the write's audit entry.
/// </summary>
internal sealed class ChildAlerts(IOptions<AlertOptions> options, PersonLinker linker, NotificationOutbox outbox, PolicyDecisionPoint policy, PersonInfoAnswerer contacts)
{
    public async Task<IReadOnlyList<ChildAlert>> RaiseAsync(HubDbContext db, IEnumerable<Record> written, AuditScope audit, CancellationToken ct)
    {
        var o = options.Value;
        var events = written.OfType<ChronologyEvent>().Where(e => o.Categories.Contains(e.Category, StringComparer.Ordinal)).ToList();
        if (events.Count == 0)
        {
            return [];
        }
        var subjects = events.SelectMany(e => e.Subjects.Select(s => s.PersonId)).Distinct().ToList();
        var linked = await linker.LinkAsync(subjects, ct);
        var everyRecord = subjects.SelectMany(linked.Of).Distinct().ToList();
        var states = await db.States.AsNoTracking()
            .Where(s => everyRecord.Contains(s.PersonId) && o.States.Contains(s.Code) && s.EndedAt == null).ToListAsync(ct);
        if (states.Count == 0)
        {
            return [];
        }
        // The lead practitioner of an open case with a plan about the child, when there is one.
        var plans = await db.Enquiries.AsNoTracking().AsSingleQuery().IgnoreAutoIncludes().Include(e => e.Subjects)
            .Where(e => e.Status == EnquiryStatus.Open && e.Stage == CaseStage.ChildProtectionPlan && e.Subjects.Any(s => everyRecord.Contains(s.PersonId)))
            .ToListAsync(ct);
        var alerts = new List<ChildAlert>();
        foreach (var ev in events)
        {
            var records = ev.Subjects.SelectMany(s => linked.Of(s.PersonId)).ToHashSet();
            foreach (var state in states.Where(s => records.Contains(s.PersonId)).DistinctBy(s => s.Code))
            {
                var lead = state.Code == "child-protection-plan" ? plans.FirstOrDefault(p => p.Subjects.Any(s => records.Contains(s.PersonId)))?.LeadPractitioner : null;
                var alert = new ChildAlert(ev.Id, state.PersonId, state.Code, state.StartedAt, contacts.Contact(state.OwningAgency), lead);
                alerts.Add(alert);
                await outbox.EnqueueAsync(policy.Policy.DefaultOrganisation(state.OwningAgency).Code, "child.alert", new
                {
                    state = state.Code, child = $"Patient/{state.PersonId}", @event = $"Observation/{ev.Id}", category = ev.Category, occurredAt = ev.OccurredAt,
                    recordedBy = ev.OwningOrganisation, lead,
                }, TimeSpan.Zero, ct);
                audit.RecordAlert(ev.Id, state.Id, state.Code, state.OwningOrganisation);
            }
        }
        return alerts;
    }
}
